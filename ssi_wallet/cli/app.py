"""The root `ssi-wallet` command and its groups.

Each group lives in its own module and imports its services lazily, inside the
commands; the root imports a group's module only when that group runs (see
`cli.lazy`), so `ssi-wallet --help` stays fast and never loads ACA-Py or indy-vdr.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet import __version__
from ssi_wallet.cli.lazy import Entry, LazyGroup

_CLI = "ssi_wallet.cli."

# Every root command: where it lives and its one-line help (tests check the help
# matches the command's own). Order is the order `--help` lists them in.
COMMANDS: dict[str, Entry] = {
    "init": Entry(_CLI + "wallet_cmd:init", "Create the wallet and start its agent."),
    "connect": Entry(_CLI + "connections_cmd:connect",
                     "Connect to an agency with its invitation; waits until the connection "
                     "is active."),
    "eligibility": Entry(_CLI + "schemes_cmd:eligibility",
                         "What your credentials make you eligible for (worked out locally, "
                         "nothing is sent)."),
    "inbox": Entry(_CLI + "schemes_cmd:inbox",
                   "Notices the wallet kept for you: schemes a new credential qualifies "
                   "you for."),
    "apply": Entry(_CLI + "schemes_cmd:apply",
                   "Apply for a scheme: connect to its agency and answer the proof request."),
    "demo": Entry(_CLI + "scenario_cmd:demo",
                  "Run all three pilot cases unattended on the embedded ledger."),
    "wallet": Entry(_CLI + "wallet_cmd:app", "Re-key, inspect or delete the wallet."),
    "agent": Entry(_CLI + "agent_cmd:app",
                   "Start, stop and inspect the wallet's background agent."),
    "connections": Entry(_CLI + "connections_cmd:app", "List, show and remove connections."),
    "offers": Entry(_CLI + "offers_cmd:app", "See, accept or decline credential offers."),
    "credentials": Entry(_CLI + "credentials_cmd:app",
                         "List, show, check and delete credentials."),
    "requests": Entry(_CLI + "requests_cmd:app", "Preview, answer or decline proof requests."),
    "history": Entry(_CLI + "history_cmd:app",
                     "What left the wallet, and what came in (kept in the encrypted wallet)."),
    "consent": Entry(_CLI + "consent_cmd:app",
                     "Let a recurring request be answered without you, within limits."),
    "schemes": Entry(_CLI + "schemes_cmd:app",
                     "The catalogue of schemes agencies publish (signed)."),
    "scenario": Entry(_CLI + "scenario_cmd:app",
                      "Run the pilots' cases, guided (narrated) or unattended."),
    "ledger": Entry(_CLI + "ledger_cmd:app",
                    "Run and inspect the embedded development Indy ledger."),
    "config": Entry(_CLI + "config_cmd:app",
                    "Read and change settings (config.toml in the data directory)."),
    "agency": Entry(_CLI + "agency_cmd:app",
                    "Set up, start and stop agencies (issuers and verifiers)."),
    "issuer": Entry(_CLI + "issuer_cmd:app",
                    "Publish schemas, create credential definitions, invite and issue."),
    "verifier": Entry(_CLI + "verifier_cmd:app",
                      "Verifier agencies: policies, proof requests, decisions, cases."),
}


class RootGroup(LazyGroup):
    """The root group: builds only the command that runs."""

    entries = COMMANDS


app = typer.Typer(
    name="ssi-wallet",
    cls=RootGroup,
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
            help="Data directory (default: $SSI_WALLET_HOME or the platform's user data dir).",
            envvar="SSI_WALLET_HOME",
            show_envvar=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks on errors (or SSI_WALLET_DEBUG=1).")
    ] = False,
) -> None:
    """Global options apply to every command."""
    if home is not None:
        os.environ["SSI_WALLET_HOME"] = str(home.expanduser().resolve())
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
        from ssi_wallet.cli.output import plain_notice

        plain_notice(f"You have {count} new notice{'s' if count > 1 else ''}: "
                     "see ssi-wallet inbox")
