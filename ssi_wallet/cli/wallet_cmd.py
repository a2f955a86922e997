"""`ssi-wallet init` and `ssi-wallet wallet ...`: create, re-key and delete the wallet.

Examples:
  ssi-wallet init --label "Jan de Vries"
  SSI_WALLET_PASSPHRASE=... ssi-wallet init --no-keyring
  ssi-wallet init --genesis https://example.org/pool_transactions_genesis
  ssi-wallet wallet rekey
  ssi-wallet wallet delete --yes
"""

from __future__ import annotations

from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, YesOpt, confirm, emit, notice

app = typer.Typer(help="Re-key, inspect or delete the wallet.")


def init(
    label: Annotated[str | None, typer.Option(help="The name agencies see for you.")] = None,
    genesis: Annotated[str | None, typer.Option(
        help="Genesis file or URL of the Indy network (default: the embedded ledger).")] = None,
    keyring: Annotated[bool | None, typer.Option(
        "--keyring/--no-keyring",
        help="Keep the key in the OS keyring (default: try it, else use a passphrase).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create the wallet and start its agent.

    The wallet is an encrypted Askar wallet whose key lives in the OS keyring, or is
    derived from a passphrase (asked twice, or SSI_WALLET_PASSPHRASE) when there is none.

    Example: ssi-wallet init --label "Jan de Vries"
    """
    from ssi_wallet.holder.agent import init_wallet

    doc = init_wallet(label=label, genesis=genesis, use_keyring=keyring)
    if doc["keyring_fallback_reason"]:
        notice(f"[yellow]No usable keyring ({doc['keyring_fallback_reason']}): "
               "the wallet key is derived from your passphrase instead.[/]")
    emit(doc, json_out=json_out,
         human=f"Created the wallet for [bold]{doc['label']}[/] "
               f"(key in the {doc['key_storage']}; ledger: {doc['ledger']}).")


@app.command("info")
def info(json_out: JsonOpt = False) -> None:
    """Where the wallet is and how its key is kept (never the key itself).

    Example: ssi-wallet wallet info --json
    """
    from ssi_wallet.agent.running import status
    from ssi_wallet.holder.agent import require_wallet
    from ssi_wallet.holder.wallet_key import read_key_info

    paths = require_wallet()
    key_info = read_key_info(paths.root)
    runtime = status(paths.root)
    doc = {"wallet": str(paths.wallet_db), "key_storage": key_info.method if key_info else None,
           "agent_running": runtime is not None, "agent_pid": runtime.pid if runtime else None}
    emit(doc, json_out=json_out, human=lambda con: [con.print(f"[bold]{k}[/] {v}")
                                                    for k, v in doc.items()])


@app.command("rekey")
def rekey(
    to: Annotated[str | None, typer.Option(
        "--to", help="keyring or passphrase (default: keep the current way).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Re-encrypt the wallet under a new key. The agent is stopped meanwhile.

    With a passphrase, the new one is asked twice (or SSI_WALLET_NEW_PASSPHRASE).
    Example: ssi-wallet wallet rekey --to passphrase
    """
    from ssi_wallet.agent.process import stop
    from ssi_wallet.errors import UsageError
    from ssi_wallet.holder.agent import require_wallet
    from ssi_wallet.holder.wallet_key import rekey_wallet

    if to not in (None, "keyring", "passphrase"):
        raise UsageError("--to takes keyring or passphrase")
    paths = require_wallet()
    if stop(paths.root):
        notice("stopped the wallet's agent for the re-key")
    result = rekey_wallet(paths.root, paths.store_uri, to_method=to)  # type: ignore[arg-type]
    emit({"rekeyed": True, "key_storage": result.method}, json_out=json_out,
         human=f"The wallet has a new key (kept in the {result.method}).")


@app.command("delete")
def delete(yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Delete the wallet, its credentials and its key. This cannot be undone.

    Example: ssi-wallet wallet delete --yes
    """
    import shutil

    from ssi_wallet.agent.process import stop
    from ssi_wallet.holder.agent import require_wallet
    from ssi_wallet.holder.wallet_key import delete_wallet_key

    paths = require_wallet()
    if not confirm("Delete the wallet with all its credentials?", yes=yes):
        raise typer.Abort()
    stop(paths.root)
    warning = delete_wallet_key(paths.root)
    shutil.rmtree(paths.root)
    if warning:
        notice(f"[yellow]{warning}[/]")
    emit({"deleted": True, "path": str(paths.root)}, json_out=json_out,
         human="The wallet is deleted.")
