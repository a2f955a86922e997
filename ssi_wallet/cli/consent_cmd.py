"""`ssi-wallet consent ...`: standing consent for recurring proof requests.

Examples:
  ssi-wallet consent grant --connection 3fa8... --policy income-supplement \\
      --until 2027-06-30 --max-per-month 1
  ssi-wallet consent list
  ssi-wallet consent revoke 7c1d...
"""

from __future__ import annotations

from typing import Annotated

import typer

from ssi_wallet.cli.output import JsonOpt, emit, table

app = typer.Typer(help="Let a recurring request be answered without you, within limits.")


@app.command("grant")
def grant(
    connection: Annotated[str, typer.Option("--connection", help="The agency's connection id.")],
    policy: Annotated[str, typer.Option("--policy",
                                        help="The request's name, as `requests list` shows.")],
    until: Annotated[str, typer.Option("--until", help="Last day (YYYY-MM-DD).")],
    max_per_month: Annotated[int | None, typer.Option(
        "--max-per-month", help="At most this many automatic answers a month.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Let this connection's POLICY requests be answered automatically, until a date.

    The scope is that of the POLICY request you already received on the connection:
    a later request asking anything more still waits for you.
    Example: ssi-wallet consent grant --connection 3fa8... --policy income-supplement
             --until 2027-06-30
    """
    from ssi_wallet.encoding import parse_date
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.consent import grant as do_grant

    consent = do_grant(holder_client(), connection_id=connection, policy=policy,
                       until=parse_date(until), max_per_month=max_per_month)
    emit(consent.to_json(), json_out=json_out,
         human=f"Consent {consent.id} granted until {consent.until.isoformat()}: "
               f"{policy} requests may {consent.describe_scope()}")


@app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List consents, in force or revoked.

    Example: ssi-wallet consent list --json
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.consent import list_consents

    consents = list_consents(holder_client())
    rows = [(c.id, c.connection_id, c.policy, c.until.isoformat(),
             c.max_per_month or "", c.state, c.describe_scope()) for c in consents]
    emit([c.to_json() for c in consents], json_out=json_out,
         human=lambda con: con.print(table("Standing consents", [
             "id", "connection", "policy", "until", "max/month", "state", "scope"], rows))
         if rows else con.print("No standing consents."))


@app.command("revoke")
def revoke(consent_id: str, json_out: JsonOpt = False) -> None:
    """Revoke a consent: nothing more is answered under it, from now on.

    Example: ssi-wallet consent revoke 7c1d...
    """
    from ssi_wallet.holder.agent import holder_client
    from ssi_wallet.holder.consent import revoke as do_revoke

    consent = do_revoke(holder_client(), consent_id)
    emit(consent.to_json(), json_out=json_out, human=f"Consent {consent.id} revoked.")
