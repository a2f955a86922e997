"""`ssi-wallet config`: read and change settings in `config.toml`.

Examples:
  ssi-wallet config show
  ssi-wallet config set ledger.genesis https://example.org/pool_transactions_genesis
  ssi-wallet config unset ledger.genesis
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, emit
from ssi_wallet.config import (
    config_path,
    data_home,
    get_setting,
    load_config,
    save_config,
    set_setting,
)
from ssi_wallet.errors import NotFoundError, UsageError

app = typer.Typer(help="Read and change settings (config.toml in the data directory).")


@app.command("show")
def show(json_out: JsonOpt = False) -> None:
    """Show the data directory and every setting.

    Example: ssi-wallet config show --json
    """
    home = data_home()
    doc = {"home": str(home), "config_path": str(config_path(home)), "settings": load_config(home)}

    def human(console) -> None:
        console.print(f"[bold]data directory[/] {doc['home']}")
        console.print(f"[bold]config file[/]    {doc['config_path']}")
        settings = _flatten(doc["settings"])
        if not settings:
            console.print("[dim]no settings yet: defaults apply[/]")
        for key, value in settings.items():
            console.print(f"  {key} = {json.dumps(value)}")

    emit(doc, json_out=json_out, human=human)


@app.command("get")
def get(key: Annotated[str, typer.Argument(help="Dotted key, e.g. ledger.genesis")],
        json_out: JsonOpt = False) -> None:
    """Print one setting.

    Example: ssi-wallet config get ledger.genesis
    """
    missing = object()
    value = get_setting(load_config(), key, missing)
    if value is missing:
        raise NotFoundError(f"no setting {key!r}")
    emit({"key": key, "value": value}, json_out=json_out, human=json.dumps(value))


@app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="Dotted key, e.g. ledger.genesis")],
    value: Annotated[str, typer.Argument(help="Value; JSON literals (numbers, true) are parsed")],
    json_out: JsonOpt = False,
) -> None:
    """Change one setting.

    Example: ssi-wallet config set agent.endpoint https://wallet.example.org
    """
    if not key or any(not part for part in key.split(".")):
        raise UsageError(f"invalid key {key!r}: use dotted names like ledger.genesis")
    parsed = _parse_value(value)
    config = set_setting(load_config(), key, parsed)
    path = save_config(config)
    emit({"key": key, "value": parsed, "config_path": str(path)}, json_out=json_out,
         human=f"{key} = {json.dumps(parsed)}")


@app.command("unset")
def unset(
    key: Annotated[str, typer.Argument(help="Dotted key")], json_out: JsonOpt = False
) -> None:
    """Remove one setting so its default applies again.

    Example: ssi-wallet config unset ledger.genesis
    """
    config = load_config()
    *parents, leaf = key.split(".")
    node = config
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        raise NotFoundError(f"no setting {key!r}")
    del node[leaf]
    save_config(config)
    emit({"key": key, "removed": True}, json_out=json_out, human=f"{key} removed")


def _parse_value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _flatten(node: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat
