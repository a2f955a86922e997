"""Credential offers: see who offers what, accept (request + store), or decline."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from ssi_wallet.errors import NotFoundError, SsiWalletError, UsageError
from ssi_wallet.holder.connections import labels
from ssi_wallet.holder.models import Offer
from ssi_wallet.holder.waiting import wait_for_state

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

RECORDS = "/issue-credential-2.0/records"
OPEN_STATE = "offer-received"


def list_offers(client: AdminClient) -> list[Offer]:
    """Open offers (not yet accepted or declined), oldest first, with issuer labels."""
    records = client.get(RECORDS, params={"role": "holder", "state": OPEN_STATE})
    conns = labels(client)
    offers = [Offer.from_record(r) for r in records.get("results", [])]
    offers = [
        replace(o, issuer_label=conns[o.connection_id].their_label)
        if o.connection_id in conns else o
        for o in offers
    ]
    offers = [replace(o, on_ledger=definition_on_ledger(client, o.cred_def_id)) for o in offers]
    return sorted(offers, key=lambda o: o.created_at or "")


def definition_on_ledger(client: AdminClient, cred_def_id: str | None) -> bool | None:
    """Whether the wallet's ledger has this credential definition (the agent reads it);
    None when the ledger could not be asked. An issuer on another network, or an id
    that names nothing, gives False: such an offer can only be declined."""
    if not cred_def_id:
        return False
    try:
        found = client.get(f"/credential-definitions/{quote(cred_def_id, safe=':')}")
    except NotFoundError:
        return False
    except SsiWalletError:
        return None
    return bool((found or {}).get("credential_definition"))


def get_offer(client: AdminClient, offer_id: str, *, with_label: bool = True) -> Offer:
    """The offer, with whether its definition is on our ledger and (`with_label`, for
    showing it) the issuer's connection label."""
    try:
        offer = Offer.from_record(client.get(f"{RECORDS}/{offer_id}"))
    except NotFoundError:
        raise NotFoundError(f"no offer {offer_id}") from None
    if with_label and offer.connection_id:
        conn = labels(client).get(offer.connection_id)
        if conn:
            offer = replace(offer, issuer_label=conn.their_label)
    return replace(offer, on_ledger=definition_on_ledger(client, offer.cred_def_id))


def _open_offer(client: AdminClient, offer_id: str) -> Offer:
    offer = get_offer(client, offer_id, with_label=False)
    if offer.state != OPEN_STATE:
        raise UsageError(f"offer {offer_id} is {offer.state}, not open")
    return offer


def accept_offer(client: AdminClient, offer_id: str, *, wait: bool = True,
                 timeout: float = 60.0) -> str | None:
    """Request the credential; with `wait`, return its id once stored in the wallet."""
    offer = _open_offer(client, offer_id)
    if offer.on_ledger is False:
        raise NotFoundError(
            f"offer {offer_id}: its credential definition {offer.cred_def_id} is not on "
            "your ledger (the issuer uses another network, or no such definition exists)",
            hint=f"decline it: ssi-wallet offers decline {offer_id}")

    def trigger() -> tuple[str, dict]:
        return offer_id, client.post(f"{RECORDS}/{offer_id}/send-request", json={}) or {}

    if not wait:
        trigger()
        return None
    record = wait_for_state(
        client,
        topic="issue_credential_v2_0",
        id_field="cred_ex_id",
        trigger=trigger,
        fetch=lambda rid: client.get(f"{RECORDS}/{rid}"),
        done=("done",),
        failed=("abandoned", "deleted"),
        timeout=timeout,
        what="credential exchange",
        state_of=_stored_state,
    )
    return (record.get("indy") or {}).get("cred_id_stored")


def _stored_state(record: dict) -> str:
    """`done` only once the credential is really in the wallet."""
    cred_ex = record.get("cred_ex_record", record)
    if cred_ex.get("state") == "done" and not (record.get("indy") or {}).get("cred_id_stored"):
        return "storing"
    return cred_ex.get("state", "")


def decline_offer(client: AdminClient, offer_id: str, *, reason: str | None = None) -> None:
    """Tell the issuer no (a problem report) and keep a note in the history."""
    offer = _open_offer(client, offer_id)
    client.post(
        f"{RECORDS}/{offer_id}/problem-report",
        json={"description": reason or "The holder declined the offer."},
    )
    from ssi_wallet.holder.history import record_event

    record_event(client, "offer_declined", connection_id=offer.connection_id,
                 cred_def_id=offer.cred_def_id, reason=reason)
