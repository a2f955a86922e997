"""`ssi-wallet agency ...`: set up, start and stop issuer and verifier agencies.

Examples:
  ssi-wallet agency init employer --from examples/agencies/employer.yaml
  ssi-wallet agency start employer           # registers its DID on the embedded ledger
  ssi-wallet agency status employer --json
  ssi-wallet agency list
  ssi-wallet agency stop employer
  # on a real network, with a DID endorsed there:
  ssi-wallet agency init employer --from employer.yaml --seed-file ./employer.seed
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, emit, notice, table

app = typer.Typer(help="Set up, start and stop agencies (issuers and verifiers).")


@app.command("init")
def init(
    name: Annotated[str, typer.Argument(help="The agency's name (lowercase, dashes).")],
    source: Annotated[Path, typer.Option("--from", help="The agency's YAML file.")],
    seed_file: Annotated[
        Path | None,
        typer.Option(
            "--seed-file",
            help="File with the 32-character seed of a DID already "
            "endorsed on the network (real networks; kept 0600).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing agency file (its secrets, wallet and store are kept).",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Create an agency from a YAML file (copied, relative paths made absolute).

    Example: ssi-wallet agency init employer --from examples/agencies/employer.yaml
    """
    from ssi_wallet.agency.runtime import init_agency

    doc = init_agency(name, source, seed_file=seed_file, force=force)
    emit(
        doc,
        json_out=json_out,
        human=f"Agency [bold]{name}[/] ({', '.join(doc['roles'])}) set up in {doc['path']}\n"
        f"Start it with: ssi-wallet agency start {name}",
    )


def _status_lines(con, doc: dict) -> None:
    state = "[green]running[/]" if doc["running"] else "stopped"
    con.print(f"[bold]{doc['label']}[/] ({doc['name']}; {', '.join(doc['roles'])}): {state}")
    con.print(f"public DID  {doc['did'] or '(none yet)'}")
    con.print(f"ledger      {doc['ledger']}")
    con.print(f"wallet      {doc['wallet_storage']}; store {doc['store']}")
    if "serve" in doc:
        serve = doc["serve"]
        con.print(
            "serve       "
            + (
                f"running (pid {serve['pid']}, port {serve['port']})"
                if serve.get("running")
                else "stopped"
            )
        )
    rows = [
        (
            i["index"],
            "running" if i["running"] else "stopped",
            i.get("pid", ""),
            i.get("admin_url", ""),
            i.get("endpoint", ""),
        )
        for i in doc["instances"]
    ]
    con.print(table(None, ["instance", "state", "pid", "admin", "endpoint"], rows))


@app.command("start")
def start(
    name: str,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each agent.")] = 90,
    json_out: JsonOpt = False,
) -> None:
    """Start the agency's agent(s); on the embedded ledger its DID becomes ENDORSER.

    Example: ssi-wallet agency start employer
    """
    from ssi_wallet.agency.runtime import start_agency

    notice(f"[dim]starting agency {name}…[/]")
    doc = start_agency(name, timeout=timeout)
    emit(doc, json_out=json_out, human=lambda con: _status_lines(con, doc))


@app.command("stop")
def stop(name: str, json_out: JsonOpt = False) -> None:
    """Stop the agency's agent(s).

    Example: ssi-wallet agency stop employer
    """
    from ssi_wallet.agency.runtime import stop_agency

    doc = stop_agency(name)
    stopped = sum(doc["stopped"])
    emit(
        doc,
        json_out=json_out,
        human=f"Stopped {stopped} agent(s) of {name}." if stopped else f"{name} was not running.",
    )


@app.command("status")
def status(name: str, json_out: JsonOpt = False) -> None:
    """Show whether the agency runs, its DID, ports and storage.

    Example: ssi-wallet agency status employer --json
    """
    from ssi_wallet.agency.runtime import agency_status

    doc = agency_status(name)
    emit(doc, json_out=json_out, human=lambda con: _status_lines(con, doc))


@app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List the agencies in this home.

    Example: ssi-wallet agency list
    """
    from ssi_wallet.agency.runtime import list_agencies

    agencies = list_agencies()
    rows = [
        (
            a["name"],
            a.get("label", ""),
            ", ".join(a.get("roles", [])),
            a.get("error") or ("running" if any(a.get("running", [])) else "stopped"),
        )
        for a in agencies
    ]
    emit(
        agencies,
        json_out=json_out,
        human=lambda con: (
            con.print(table("Agencies", ["name", "label", "roles", "state"], rows))
            if rows
            else con.print("No agencies yet: ssi-wallet agency init NAME --from FILE")
        ),
    )
