"""Shared by `offers` and `requests`: exchanges the wallet sent its part of and is still
waiting on (`--waiting`), and `abandon`. The rules live in `holder/stranded.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ssi_wallet.cli.output import confirm, emit, table

if TYPE_CHECKING:
    from rich.console import Console

    from ssi_wallet.agent.admin import AdminClient
    from ssi_wallet.holder.stranded import Kind, Waiting

TITLES = {"credential": "Accepted, waiting for the credential",
          "presentation": "Answered, waiting for the verifier"}
GROUPS = {"credential": "offers", "presentation": "requests"}


def waiting(client: AdminClient, kind: Kind) -> list[Waiting]:
    """The waiting exchanges of `kind`, judged with the configured grace period."""
    from ssi_wallet.holder.stranded import agent_started_at, grace_seconds, list_waiting

    return list_waiting(client, kind, grace=grace_seconds(), started_at=agent_started_at())


def draw(con: Console, kind: Kind, items: list[Waiting]) -> None:
    """The waiting table, with the way out for the stranded ones."""
    rows = [(w.id, w.counterparty or "", w.what or "", (w.since or "")[:19].replace("T", " "),
             w.status + (" (sent before the agent restarted)" if w.survived_restart else ""))
            for w in items]
    con.print(table(TITLES[kind], ["id", "with", "what", "sent (UTC)", "status"], rows))
    if any(w.stranded for w in items):
        con.print(f"Not acknowledged: the other side may never have received it. "
                  f"ssi-wallet {GROUPS[kind]} abandon ID tells them, so they can "
                  + ("offer again." if kind == "credential" else "ask again."))


def list_waiting_command(kind: Kind, *, json_out: bool) -> None:
    """`offers list --waiting` / `requests list --waiting`."""
    from ssi_wallet.holder.agent import holder_client

    items = waiting(holder_client(), kind)
    emit([w.to_json() for w in items], json_out=json_out,
         human=lambda con: draw(con, kind, items) if items
         else con.print("Nothing sent is waiting for an answer."))


def abandon_command(kind: Kind, exchange_id: str, *, reason: str | None, yes: bool,
                    json_out: bool) -> None:
    """`offers abandon` / `requests abandon`: confirm, then abandon."""
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.stranded import abandon, agent_started_at, grace_seconds

    client = holder_client()
    question = ("Abandon this credential exchange? The issuer is told and can offer again."
                if kind == "credential" else
                "Abandon this presentation? The verifier is told and can ask again.")
    if not confirm(question, yes=yes):
        raise typer.Abort()
    doc: dict[str, Any] = abandon(client, kind, exchange_id, grace=grace_seconds(),
                                  started_at=agent_started_at(), reason=reason)
    emit(doc, json_out=json_out,
         human=f"Abandoned {exchange_id}; the other side was told." if doc["abandoned"]
         else f"{exchange_id} completed just now: nothing abandoned.")
