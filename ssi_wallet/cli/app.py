"""The root `ssi-wallet` command and its groups.

Each group lives in its own module and imports its services lazily, inside the
commands, so `ssi-wallet --help` stays fast and never loads ACA-Py or indy-vdr.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet import __version__
from ssi_wallet.cli import (
    agency_cmd,
    agent_cmd,
    config_cmd,
    connections_cmd,
    consent_cmd,
    credentials_cmd,
    history_cmd,
    issuer_cmd,
    ledger_cmd,
    offers_cmd,
    requests_cmd,
    scenario_cmd,
    schemes_cmd,
    wallet_cmd,
)
from ssi_wallet.config import HOME_ENV

app = typer.Typer(
    name="ssi-wallet",
    help=(
        "A self-sovereign-identity wallet for the terminal: keep verifiable credentials "
        "(AnonCreds on an Indy ledger) on your own machine and prove only what is needed."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: typer's rich help imports markdown (~0.1 s)
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ssi-wallet {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help=f"Data directory (default: ${HOME_ENV} or the platform's user data dir).",
            envvar=HOME_ENV,
            show_envvar=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks on errors (or SSI_WALLET_DEBUG=1).")
    ] = False,
) -> None:
    """Global options apply to every command."""
    if home is not None:
        os.environ[HOME_ENV] = str(home.expanduser().resolve())
    if debug:
        os.environ["SSI_WALLET_DEBUG"] = "1"
    if ctx.invoked_subcommand not in (None, "inbox") and not ctx.resilient_parsing:
        _mention_notices()


def _mention_notices() -> None:
    """New notices are shown by the next command the citizen runs (one line, stderr)."""
    from ssi_wallet.config import data_home
    from ssi_wallet.holder.notices import read_count

    count = read_count(data_home() / "holder")
    if count:
        from ssi_wallet.cli.output import notice

        notice(f"[bold cyan]You have {count} new notice{'s' if count > 1 else ''}: "
               "see ssi-wallet inbox[/]")


app.command("init")(wallet_cmd.init)
app.command("connect")(connections_cmd.connect)
app.command("eligibility")(schemes_cmd.eligibility)
app.command("inbox")(schemes_cmd.inbox)
app.command("apply")(schemes_cmd.apply)
app.command("demo")(scenario_cmd.demo)
app.add_typer(wallet_cmd.app, name="wallet")
app.add_typer(agent_cmd.app, name="agent")
app.add_typer(connections_cmd.app, name="connections")
app.add_typer(offers_cmd.app, name="offers")
app.add_typer(credentials_cmd.app, name="credentials")
app.add_typer(requests_cmd.app, name="requests")
app.add_typer(history_cmd.app, name="history")
app.add_typer(consent_cmd.app, name="consent")
app.add_typer(schemes_cmd.app, name="schemes")
app.add_typer(scenario_cmd.app, name="scenario")
app.add_typer(ledger_cmd.app, name="ledger")
app.add_typer(config_cmd.app, name="config")
app.add_typer(agency_cmd.app, name="agency")
app.add_typer(issuer_cmd.app, name="issuer")

from ssi_wallet.cli import verifier_cmd  # noqa: E402  (verifier group)

app.add_typer(verifier_cmd.app, name="verifier")
