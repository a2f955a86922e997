"""`ssi-wallet ledger ...`: the embedded development Indy ledger.

Examples:
  ssi-wallet ledger start                 # 4 nodes in the background, fresh keys
  ssi-wallet ledger start --nodes 1 --foreground
  ssi-wallet ledger info --json           # genesis_path, trustee_did, tails_server_url, ...
  ssi-wallet ledger register DID VERKEY --role ENDORSER
  ssi-wallet ledger txns --type SCHEMA --type CLAIM_DEF
  ssi-wallet ledger stop
  ssi-wallet ledger reset --yes
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, YesOpt, confirm, emit, notice, table

app = typer.Typer(help="Run and inspect the embedded development Indy ledger.")

DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Ledger data directory (default: $SSI_WALLET_HOME/ledger)."),
]


def _service(data_dir: Path | None):
    from ssi_wallet.ledger.service import LedgerService

    return LedgerService(data_dir)


def _info_lines(console, info: dict) -> None:
    state = f"running (pid {info['pid']})" if info["running"] else "stopped"
    console.print(f"[bold]ledger[/]            {state}, {info['nodes']} node(s) on {info['host']}")
    console.print(f"[bold]data directory[/]    {info['data_dir']}")
    console.print(f"[bold]genesis file[/]      {info['genesis_path']}")
    console.print(f"[bold]trustee DID[/]       {info['trustee_did']}")
    console.print(f"[bold]trustee seed file[/] {info['trustee_seed_file']}")
    console.print(f"[bold]tails server[/]      {info['tails_server_url']}")
    console.print(f"[bold]transactions[/]      {info['txn_count']}")


@app.command("start")
def start(
    nodes: Annotated[
        int | None, typer.Option("--nodes", help="Number of validator nodes: 4 or 1.")
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Loopback address to listen on.")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Base port (default: free ports, kept).")
    ] = None,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Run here until Ctrl-C.")
    ] = False,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Start the ledger (in the background unless --foreground); returns when every node answers.

    Example: ssi-wallet ledger start --nodes 1
    """
    from ssi_wallet.errors import UsageError

    if nodes is not None and nodes not in (1, 4):
        raise UsageError("--nodes must be 4 or 1")
    if host is not None and not _is_loopback(host):
        raise UsageError(
            f"{host} is not a loopback address; the development ledger listens on loopback only"
        )
    service = _service(data_dir)
    if foreground:

        def ready(info) -> None:
            emit(
                {**info.as_dict(), "foreground": True},
                json_out=json_out,
                human=lambda con: (
                    _info_lines(con, info.as_dict()),
                    con.print("[dim]Ctrl-C stops it.[/]"),
                ),
            )

        service.run_foreground(nodes=nodes, host=host, port=port, on_ready=ready)
        return
    info = service.start(nodes=nodes, host=host, port=port).as_dict()
    emit({**info, "started": True}, json_out=json_out, human=lambda con: _info_lines(con, info))


@app.command("stop")
def stop(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Stop the ledger: SIGTERM, then SIGKILL after a grace period.

    Example: ssi-wallet ledger stop
    """
    doc = _service(data_dir).stop()
    emit(
        doc,
        json_out=json_out,
        human=f"Stopped the ledger (pid {doc.get('pid')})."
        if doc["stopped"]
        else "The ledger was not running.",
    )


@app.command("status")
def status(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Is the ledger running, and does every node answer.

    Example: ssi-wallet ledger status --json
    """
    doc = _service(data_dir).status()

    def human(con) -> None:
        if not doc["exists"]:
            con.print(f"no ledger in {doc['data_dir']} (ssi-wallet ledger start creates one)")
            return
        con.print(f"running (pid {doc['pid']})" if doc["running"] else "not running")
        con.print(
            table(
                None,
                ["node", "client port", "answering"],
                [
                    (n["alias"], n["client_port"], "yes" if n["answering"] else "no")
                    for n in doc["nodes"]
                ],
            )
        )

    emit(doc, json_out=json_out, human=human)


@app.command("info")
def info(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Where the genesis file, trustee seed file and tails server are.

    Example: ssi-wallet ledger info --json
    """
    doc = _service(data_dir).info().as_dict()
    emit(doc, json_out=json_out, human=lambda con: _info_lines(con, doc))


@app.command("register")
def register(
    did: Annotated[str, typer.Argument(help="The DID to write (base58).")],
    verkey: Annotated[str, typer.Argument(help="Its verkey, full or abbreviated (~...).")],
    role: Annotated[
        str, typer.Option("--role", help="ENDORSER, STEWARD, TRUSTEE or none.")
    ] = "ENDORSER",
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write a DID (NYM) signed by the ledger's trustee.

    Example:
      ssi-wallet ledger register Th7MpTaRZVRYnPiabds81Y ~7TYfekw4GUagBnBVCqPjiC --role ENDORSER
    """
    doc = _service(data_dir).register(did, verkey, role)
    emit(
        doc,
        json_out=json_out,
        human=f"Registered {doc['did']} as {doc['role'] or 'a DID without role'}"
        f" (seqNo {doc['seq_no']}).",
    )


@app.command("txns")
def txns(
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type", "-t", help="Only this type (repeatable), e.g. SCHEMA, CLAIM_DEF, NYM."
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Browse what is written on the domain ledger.

    Example: ssi-wallet ledger txns --type SCHEMA
    """
    rows = _service(data_dir).txns(types)

    def when(ts: int | None) -> str:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else "genesis"

    emit(
        {"txns": rows, "count": len(rows)},
        json_out=json_out,
        human=lambda con: con.print(
            table(
                f"{len(rows)} transaction(s)",
                ["#", "type", "when (UTC)", "from", "what"],
                [
                    (
                        r["seq_no"],
                        r["type"],
                        when(r["txn_time"]),
                        r["from"] or "",
                        r["txn_id"] or r["summary"],
                    )
                    for r in rows
                ],
            )
        ),
    )


@app.command("reset")
def reset(yes: YesOpt = False, data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Stop the ledger and delete everything in its data directory.

    Example: ssi-wallet ledger reset --yes
    """
    service = _service(data_dir)
    if not confirm(f"Delete the ledger in {service.dd.root}?", yes=yes):
        notice("Nothing deleted.")
        raise typer.Exit(1)
    doc = service.reset()
    emit(
        doc,
        json_out=json_out,
        human=f"Deleted the ledger in {doc['data_dir']}."
        if doc["removed"]
        else "There was no ledger to delete.",
    )


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
