"""Credential offers: see who offers what, accept (request + store), or decline."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from ssi_wallet.errors import NotFoundError, ServiceError, SsiWalletError, UsageError
from ssi_wallet.holder.connections import labels
from ssi_wallet.holder.models import Offer

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

RECORDS = "/issue-credential-2.0/records"
ACCEPT = "/ssi-wallet/offers"
OPEN_STATE = "offer-received"
#: Seconds the HTTP call may outlast the agent's own wait (it answers at its timeout).
ANSWER_MARGIN = 30.0


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
    """Request the credential; with `wait`, return its id once stored in the wallet.

    One call: the wallet's agent checks the offer (open, its definition on our ledger),
    asks for the credential and answers when the exchange is finished
    (`acapy_plugin/accepting.py`)."""
    try:
        answer = client.post(f"{ACCEPT}/{quote(offer_id, safe='')}/accept",
                             json={"wait": wait, "timeout": timeout},
                             timeout=timeout + ANSWER_MARGIN) or {}
    except SsiWalletError as error:
        raise _refusal(error, offer_id) from None
    if not wait:
        return None
    state, stored = answer.get("state"), answer.get("credential_id")
    if stored:  # in the wallet (ACA-Py may still be saving `done` and acknowledging)
        return stored
    if answer.get("timed_out"):
        raise ServiceError(f"timed out after {timeout:.0f} s waiting for credential "
                           f"exchange {offer_id} (state {state or 'unknown'})")
    raise ServiceError(f"credential exchange {offer_id} failed: "
                       f"{answer.get('error_msg') or state or 'no credential stored'}")


def _refusal(error: SsiWalletError, offer_id: str) -> SsiWalletError:
    """The agent's refusal as the error a user acts on."""
    reason = error.http_reason or str(error)
    if error.http_status == 404 and not reason.startswith("no offer"):
        return ServiceError("the wallet's agent does not know how to accept offers "
                            "(started by an older version)",
                            hint="restart it: ssi-wallet agent stop && ssi-wallet agent start")
    if error.http_status == 404:
        return NotFoundError(reason)
    if error.http_status == 409:
        return UsageError(reason)
    if error.http_status == 422:
        return NotFoundError(reason, hint=f"decline it: ssi-wallet offers decline {offer_id}")
    if error.http_status == 400:
        return ServiceError(reason)
    return error


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
