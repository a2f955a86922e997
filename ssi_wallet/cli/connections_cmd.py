"""`ssi-wallet connect` and `ssi-wallet connections ...`: the agencies you talk to.

Examples:
  ssi-wallet connect 'http://agency.example:8020?oob=eyJAdHlwZSI6...'
  ssi-wallet connect invitation.json --json
  ssi-wallet connections list
  ssi-wallet connections remove 3fa85f64-5717-4562-b3fc-2c963f66afa6 --yes
"""

from __future__ import annotations

from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, YesOpt, confirm, emit, table

app = typer.Typer(help="List, show and remove connections.")


def connect(
    invitation: Annotated[str, typer.Argument(
        help="An invitation URL (oob= or c_i=), a JSON file, or - for stdin.")],
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return before it is active.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the connection.")] = 30.0,
    json_out: JsonOpt = False,
) -> None:
    """Connect to an agency with its invitation; waits until the connection is active.

    Example: ssi-wallet connect 'http://127.0.0.1:8020?oob=eyJAdHlwZSI6...'
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.connections import connect as do_connect
    from ssi_wallet.holder.invitations import read_invitation

    parsed = read_invitation(invitation)  # checked before the agent is even started
    conn = do_connect(holder_client(), parsed, wait=not no_wait, timeout=timeout)
    label = conn.their_label or parsed.label or "the agency"
    emit(conn.to_json(), json_out=json_out,
         human=f"Connected to [bold]{label}[/] ({conn.state}), connection id {conn.id}")


@app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List connections.

    Example: ssi-wallet connections list --json
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.connections import list_connections

    conns = list_connections(holder_client())
    rows = [(c.id, c.their_label, c.their_public_did or c.their_did, c.state, c.created_at)
            for c in conns]
    emit([c.to_json() for c in conns], json_out=json_out,
         human=lambda con: con.print(table("Connections", ["id", "with", "their DID", "state",
                                                            "since"], rows))
         if rows else con.print("No connections yet: ssi-wallet connect INVITATION"))


@app.command("show")
def show(connection_id: str, json_out: JsonOpt = False) -> None:
    """Show one connection.

    Example: ssi-wallet connections show 3fa85f64-5717-4562-b3fc-2c963f66afa6
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.connections import get_connection

    conn = get_connection(holder_client(), connection_id)
    doc = conn.to_json()
    emit(doc, json_out=json_out, human=lambda con: [con.print(f"[bold]{k}[/] {v}")
                                                    for k, v in doc.items() if v is not None])


@app.command("remove")
def remove(connection_id: str, yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Remove a connection (credentials received over it stay in the wallet).

    Example: ssi-wallet connections remove 3fa85f64-5717-4562-b3fc-2c963f66afa6 --yes
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.connections import get_connection, remove_connection

    client = holder_client()
    conn = get_connection(client, connection_id)
    if not confirm(f"Remove the connection with {conn.their_label or conn.id}?", yes=yes):
        raise typer.Abort()
    remove_connection(client, connection_id)
    emit({"connection_id": connection_id, "removed": True}, json_out=json_out,
         human=f"Removed connection {connection_id}")
