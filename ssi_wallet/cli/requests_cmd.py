"""`ssi-wallet requests ...`: proof requests from verifiers. Nothing leaves the wallet
until you say so; `show` previews exactly what would.

Examples:
  ssi-wallet requests list
  ssi-wallet requests show 9e1f...
  ssi-wallet requests present 9e1f... --use income=1b2c... --yes
  ssi-wallet requests decline 9e1f... --reason "not now"
  ssi-wallet requests list --waiting
  ssi-wallet requests abandon 9e1f... --yes
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console

from ssi_wallet.cli.output import JsonOpt, YesOpt, confirm, emit, err, table
from ssi_wallet.encoding import display

app = typer.Typer(help="Preview, answer or decline proof requests.")

UseOpt = Annotated[list[str] | None, typer.Option(
    "--use", help="REFERENT=CREDENTIAL_ID: answer this item with that credential (repeatable).")]


WaitingOpt = Annotated[bool, typer.Option(
    "--waiting", help="List answered requests the verifier has not acknowledged instead.")]


@app.command("list")
def list_(waiting: WaitingOpt = False, json_out: JsonOpt = False) -> None:
    """List open proof requests. People also see answered requests the verifier has
    not acknowledged; --waiting lists only those ("sent, not acknowledged" once silent
    for exchanges.grace_seconds, default 60).

    Example: ssi-wallet requests list --json
    """
    from ssi_wallet.cli.waiting_view import draw, list_waiting_command
    from ssi_wallet.cli.waiting_view import waiting as waiting_for
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.connections import labels
    from ssi_wallet.holder.proofs import list_requests

    if waiting:
        list_waiting_command("presentation", json_out=json_out)
        return
    client = holder_client()
    requests = list_requests(client)
    conns = labels(client) if requests else {}
    docs = []
    rows = []
    for req in requests:
        conn = conns.get(req.connection_id or "")
        docs.append({**req.to_json(), "verifier": conn.their_label if conn else None})
        asks = [", ".join(a.names) for a in req.attributes] + [
            f"{p.name} {p.p_type} …" for p in req.predicates]
        rows.append((req.id, conn.their_label if conn else "", req.name, "; ".join(asks)))
    pending = [] if json_out else waiting_for(client, "presentation")

    def human(con: Console) -> None:
        con.print(table("Proof requests", ["id", "from", "name", "asks"], rows)
                  if rows else "No open requests.")
        if pending:
            draw(con, "presentation", pending)

    emit(docs, json_out=json_out, human=human)


@app.command("show")
def show(request_id: str, use: UseOpt = None, json_out: JsonOpt = False) -> None:
    """Preview what answering would disclose, before anything leaves the wallet.

    Example: ssi-wallet requests show 9e1f...
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.proofs import parse_use, plan_presentation

    plan = plan_presentation(holder_client(), request_id, parse_use(use or []))
    emit(plan.to_json(), json_out=json_out, human=lambda con: render_plan(con, plan))


@app.command("present")
def present(request_id: str, use: UseOpt = None, yes: YesOpt = False,
            json_out: JsonOpt = False) -> None:
    """Answer a proof request (asks for confirmation unless --yes).

    Example: ssi-wallet requests present 9e1f... --yes
    """
    from ssi_wallet.errors import UsageError
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.proofs import parse_use, plan_presentation
    from ssi_wallet.holder.proofs import present as do_present

    client = holder_client()
    plan = plan_presentation(client, request_id, parse_use(use or []))
    if not plan.ready:
        raise UsageError("cannot answer this request: " + "; ".join(plan.problems))
    if not yes:
        render_plan(err(), plan)
    if not confirm("Send this presentation?", yes=yes):
        raise typer.Abort()
    record = do_present(client, plan)
    doc = {"id": request_id, "state": record.get("state"), "revealed": plan.revealed,
           "predicates": [c.words for c in plan.choices if c.kind == "predicate"]}
    emit(doc, json_out=json_out, human="Presentation sent.")


@app.command("decline")
def decline(request_id: str,
            reason: Annotated[str | None, typer.Option(help="Told to the verifier.")] = None,
            json_out: JsonOpt = False) -> None:
    """Decline a proof request; the verifier is told.

    Example: ssi-wallet requests decline 9e1f... --reason "not now"
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.proofs import decline as do_decline

    do_decline(holder_client(), request_id, reason=reason)
    emit({"id": request_id, "declined": True}, json_out=json_out,
         human=f"Declined request {request_id}")


@app.command("abandon")
def abandon(request_id: str,
            reason: Annotated[str | None, typer.Option(help="Told to the verifier.")] = None,
            yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Abandon an answered request the verifier never acknowledged (see list --waiting;
    allowed once silent for exchanges.grace_seconds): the verifier is told with a
    problem report and can ask again.

    Example: ssi-wallet requests abandon 9e1f... --yes
    """
    from ssi_wallet.cli.waiting_view import abandon_command

    abandon_command("presentation", request_id, reason=reason, yes=yes, json_out=json_out)


def render_plan(con: Console, plan) -> None:
    """The preview the citizen decides on."""
    conn = plan.connection
    who = (conn.their_label or "unknown") if conn else "unknown"
    did = (conn.their_public_did or conn.their_did) if conn else None
    con.print(f"[bold]{who}[/]" + (f" ({did})" if did else "")
              + f" asks for a proof: {plan.request.name or ''}")
    for flag in plan.flags:
        con.print(f"[bold yellow]! {flag}[/]")
    for choice in plan.choices:
        cred = choice.credential
        source = f"from {cred.credential_type} {cred.id}" if cred else ""
        if choice.kind == "attribute":
            for name, raw in choice.revealed.items():
                con.print(f"  [red]reveals[/] {name} = [bold]{display(name, raw)}[/] {source}")
            if not cred:
                con.print(f"  [red]missing[/] {choice.problem}")
        else:
            mark = "[green]proves[/] " if cred else "[red]missing[/] "
            con.print(f"  {mark}{choice.words} {source}")
            if not cred:
                con.print(f"          {choice.problem}")
        for cred_id, why in choice.skipped:
            con.print(f"  [yellow]not used:[/] credential {cred_id} is {why}")
    interval = plan.request.non_revoked
    if interval or any(c.credential and c.credential.revocable for c in plan.choices):
        when = interval.get("to") if interval else None
        stamp = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") \
            if when else "now"
        con.print(f"  the credentials must not be revoked as of {stamp}")
    if not plan.ready:
        con.print("[red]This request cannot be answered with what the wallet holds.[/]")
