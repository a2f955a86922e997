"""`ssi-wallet offers ...`: credential offers waiting for your answer.

Examples:
  ssi-wallet offers list
  ssi-wallet offers show 5d0c...
  ssi-wallet offers accept 5d0c... --json
  ssi-wallet offers decline 5d0c... --reason "not mine"
  ssi-wallet offers list --waiting
  ssi-wallet offers abandon 5d0c... --yes
"""

from __future__ import annotations

from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, YesOpt, emit, table
from ssi_wallet.encoding import display

app = typer.Typer(help="See, accept or decline credential offers.")
WaitingOpt = Annotated[bool, typer.Option(
    "--waiting", help="List accepted offers whose credential has not arrived instead.")]


@app.command("list")
def list_(waiting: WaitingOpt = False, json_out: JsonOpt = False) -> None:
    """List open offers: who offers what. People also see accepted offers still waiting
    for their credential; --waiting lists only those ("sent, not acknowledged" once
    silent for exchanges.grace_seconds, default 60).

    Example: ssi-wallet offers list --json
    """
    from ssi_wallet.cli.waiting_view import draw, list_waiting_command
    from ssi_wallet.cli.waiting_view import waiting as waiting_for
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.offers import list_offers

    if waiting:
        list_waiting_command("credential", json_out=json_out)
        return
    client = holder_client()
    offers = list_offers(client)
    rows = [(o.id, o.issuer_label or o.issuer_did,
             (o.credential_type or o.cred_def_id or "?") + _unknown_mark(o),
             ", ".join(f"{k}={display(k, v)}" for k, v in o.attributes.items()))
            for o in offers]
    pending = [] if json_out else waiting_for(client, "credential")

    def human(con) -> None:
        _print_offers(con, offers, rows)
        if pending:
            draw(con, "credential", pending)

    emit([o.to_json() for o in offers], json_out=json_out, human=human)


def _print_offers(con, offers, rows) -> None:
    if not rows:
        con.print("No open offers.")
        return
    con.print(table("Credential offers", ["id", "from", "type", "values"], rows))
    if any(o.on_ledger is False for o in offers):
        con.print("! its credential definition is not on your ledger: the offer cannot be "
                  "accepted; decline it (ssi-wallet offers decline ID)")


def _unknown_mark(offer) -> str:
    return " !" if offer.on_ledger is False else ""


@app.command("show")
def show(offer_id: str, json_out: JsonOpt = False) -> None:
    """Show one offer in full, values in human form.

    Example: ssi-wallet offers show 5d0c...
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.offers import get_offer

    offer = get_offer(holder_client(), offer_id)

    def human(con) -> None:
        con.print(f"[bold]{offer.credential_type or 'Credential'}[/] offered by "
                  f"[bold]{offer.issuer_label or 'unknown'}[/] (issuer DID {offer.issuer_did})")
        con.print(f"credential definition {offer.cred_def_id}; state {offer.state}")
        if offer.on_ledger is False:
            con.print("[bold]This definition is not on your ledger:[/] the offer cannot be "
                      f"accepted. Decline it: ssi-wallet offers decline {offer.id}")
        con.print(table(None, ["attribute", "value"],
                        [(k, display(k, v)) for k, v in offer.attributes.items()]))

    emit(offer.to_json(), json_out=json_out, human=human)


@app.command("accept")
def accept(
    offer_id: str,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return once requested.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the credential.")] = 60.0,
    json_out: JsonOpt = False,
) -> None:
    """Accept an offer; waits until the credential is stored and prints its id.

    Example: ssi-wallet offers accept 5d0c...
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.offers import accept_offer

    cred_id = accept_offer(holder_client(), offer_id, wait=not no_wait, timeout=timeout)
    doc = {"offer_id": offer_id, "credential_id": cred_id, "stored": cred_id is not None}
    emit(doc, json_out=json_out,
         human=f"Stored credential [bold]{cred_id}[/]" if cred_id else "Requested.")


@app.command("decline")
def decline(
    offer_id: str,
    reason: Annotated[str | None, typer.Option(help="Told to the issuer.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Decline an offer; the issuer is told.

    Example: ssi-wallet offers decline 5d0c... --reason "not mine"
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.offers import decline_offer

    decline_offer(holder_client(), offer_id, reason=reason)
    emit({"offer_id": offer_id, "declined": True}, json_out=json_out,
         human=f"Declined offer {offer_id}")


@app.command("abandon")
def abandon(
    offer_id: str,
    reason: Annotated[str | None, typer.Option(help="Told to the issuer.")] = None,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Abandon an accepted offer whose credential never arrived (see list --waiting;
    allowed once silent for exchanges.grace_seconds): the issuer is told with a problem
    report and can offer again. A credential that arrives later for it is refused, so
    it is never stored twice.

    Example: ssi-wallet offers abandon 5d0c... --yes
    """
    from ssi_wallet.cli.waiting_view import abandon_command

    abandon_command("credential", offer_id, reason=reason, yes=yes, json_out=json_out)
