"""Accepting a credential offer inside the agent: the request sent and the credential
stored, for one admin call.

`offers accept` used to read the offer, ask the agent whether the offer's definition is
on the ledger, open the event stream, ask for the credential, and read the exchange
again once stored: four calls and a websocket, each served by the event loop that is
working on the exchange. Here the same checks and the same steps (ACA-Py's
send-request route: the connection's DID as holder DID, `V20CredManager.create_request`,
a problem report when that fails) run in process, and the answer comes when ACA-Py's
own event says the exchange is finished.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from aries_cloudagent.connections.models.conn_record import ConnRecord
from aries_cloudagent.core.error import BaseError
from aries_cloudagent.core.event_bus import Event, EventBus
from aries_cloudagent.core.profile import Profile, ProfileSession
from aries_cloudagent.ledger.base import BaseLedger
from aries_cloudagent.ledger.multiple_ledger.ledger_requests_executor import (
    GET_CRED_DEF,
    IndyLedgerRequestsExecutor,
)
from aries_cloudagent.messaging.responder import BaseResponder
from aries_cloudagent.protocols.issue_credential.v2_0 import problem_report_for_record
from aries_cloudagent.protocols.issue_credential.v2_0.manager import V20CredManager
from aries_cloudagent.protocols.issue_credential.v2_0.messages.cred_format import V20CredFormat
from aries_cloudagent.protocols.issue_credential.v2_0.models.cred_ex_record import (
    V20CredExRecord,
)
from aries_cloudagent.protocols.issue_credential.v2_0.models.detail.indy import (
    V20CredExRecordIndy,
)
from aries_cloudagent.protocols.out_of_band.v1_0.models.oob_record import OobRecord
from aries_cloudagent.storage.error import StorageNotFoundError
from aries_cloudagent.wallet.util import default_did_from_verkey

from ssi_wallet.acapy_plugin.stored import raw

EXCHANGE_EVENTS = re.compile(r"^acapy::record::issue_credential_v2_0::.*$")
#: The exchange's indy detail: saved with the stored credential's id once it is in the
#: wallet, moments before ACA-Py saves `done` and acknowledges.
DETAIL_EVENTS = re.compile(r"^acapy::record::issue_credential_v2_0_indy$")
OPEN = V20CredExRecord.STATE_OFFER_RECEIVED
FINAL = (V20CredExRecord.STATE_DONE, V20CredExRecord.STATE_ABANDONED, "deleted")


class OfferRefused(Exception):
    """The offer cannot be accepted; `kind` says why (`not_found`, `not_open`,
    `not_on_ledger`, `connection`, `failed`)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Accepted:
    cred_ex_id: str
    state: str
    credential_id: str | None
    error: str | None = None
    timed_out: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"cred_ex_id": self.cred_ex_id, "state": self.state,
                "credential_id": self.credential_id, "error_msg": self.error,
                "timed_out": self.timed_out}


async def accept(profile: Profile, cred_ex_id: str, *, wait: bool = True,
                 timeout: float = 60.0) -> Accepted:
    """Ask for the offered credential; with `wait`, return once the credential is in
    the wallet or the exchange failed (or `timeout` passed: `timed_out`, the exchange
    goes on)."""
    async with profile.session() as session:
        try:
            record = await V20CredExRecord.retrieve_by_id(session, cred_ex_id)
        except StorageNotFoundError:
            raise OfferRefused("not_found", f"no offer {cred_ex_id}") from None
        if record.role != V20CredExRecord.ROLE_HOLDER or record.state != OPEN:
            raise OfferRefused("not_open",
                               f"offer {cred_ex_id} is {record.state}, not open")
        holder_did = await _holder_did(session, record)
    cred_def_id = _cred_def_id(record)
    if await definition_on_ledger(profile, cred_def_id) is False:
        raise OfferRefused("not_on_ledger", f"offer {cred_ex_id}: its credential definition "
                           f"{cred_def_id} is not on your ledger (the issuer uses another "
                           "network, or no such definition exists)")
    record.auto_remove = not profile.settings.get("preserve_exchange_records")
    finished: asyncio.Future = asyncio.get_running_loop().create_future()

    async def on_event(_profile: Profile, event: Event) -> None:
        payload = event.payload or {}
        if payload.get("cred_ex_id") != cred_ex_id or finished.done():
            return
        if payload.get("state") in FINAL or payload.get("cred_id_stored"):
            finished.set_result(True)

    bus = profile.inject(EventBus)
    for pattern in (EXCHANGE_EVENTS, DETAIL_EVENTS):  # before the request leaves
        bus.subscribe(pattern, on_event)
    try:
        await _send_request(profile, record, holder_did)
        if not wait:
            return Accepted(cred_ex_id, V20CredExRecord.STATE_REQUEST_SENT, None)
        try:
            await asyncio.wait_for(asyncio.shield(finished), timeout)
        except TimeoutError:
            pass
    finally:
        for pattern in (EXCHANGE_EVENTS, DETAIL_EVENTS):
            bus.unsubscribe(pattern, on_event)
    return await outcome(profile, cred_ex_id, timed_out=not finished.done())


async def _holder_did(session: ProfileSession, record: V20CredExRecord) -> str:
    """The DID to ask with, as ACA-Py's send-request route takes it: the connection's,
    or for an offer attached to an invitation (no connection) the invitation's key."""
    if record.connection_id:
        try:
            connection = await ConnRecord.retrieve_by_id(session, record.connection_id)
        except StorageNotFoundError:
            raise OfferRefused("connection", f"offer {record.cred_ex_id}: its connection "
                               f"{record.connection_id} is gone") from None
        if not connection.is_ready:
            raise OfferRefused("connection", f"offer {record.cred_ex_id}: connection "
                               f"{record.connection_id} is {connection.state}, not active")
        return connection.my_did
    try:
        invitation = await OobRecord.retrieve_by_tag_filter(
            session, {"invi_msg_id": record.cred_offer._thread.pthid})
    except (StorageNotFoundError, AttributeError):
        raise OfferRefused("connection", f"offer {record.cred_ex_id} came with neither a "
                           "connection nor an invitation") from None
    return default_did_from_verkey(invitation.our_recipient_key)


async def _send_request(profile: Profile, record: V20CredExRecord, holder_did: str) -> None:
    """ACA-Py's send-request: on failure the exchange is abandoned and the issuer told."""
    responder = profile.inject(BaseResponder)
    try:
        record, message = await V20CredManager(profile).create_request(record, holder_did)
    except (BaseError, ValueError) as error:
        reason = getattr(error, "roll_up", None) or str(error)
        async with profile.session() as session:
            await record.save_error_state(session, reason=reason)
        await responder.send(problem_report_for_record(record, reason),
                             connection_id=record.connection_id)
        raise OfferRefused("failed", f"offer {record.cred_ex_id}: the credential request "
                           f"failed: {reason}") from error
    await responder.send(message, connection_id=record.connection_id)


async def outcome(profile: Profile, cred_ex_id: str, *, timed_out: bool) -> Accepted:
    """Where the exchange stands, with the stored credential's id once it is stored."""
    async with profile.session() as session:
        record = await raw(session, V20CredExRecord.RECORD_TYPE, cred_ex_id, "cred_ex_id")
        if record is None:
            return Accepted(cred_ex_id, "deleted", None, "the exchange was deleted",
                            timed_out)
        details = await V20CredExRecordIndy.query_by_cred_ex_id(session, cred_ex_id)
    stored = details[0].cred_id_stored if details else None
    return Accepted(cred_ex_id, record.get("state") or "", stored, record.get("error_msg"),
                    timed_out)


def _cred_def_id(record: V20CredExRecord) -> str | None:
    offer = record.cred_offer.attachment(V20CredFormat.Format.INDY) \
        if record.cred_offer else None
    return (offer or {}).get("cred_def_id")


async def definition_on_ledger(profile: Profile, cred_def_id: str | None) -> bool | None:
    """Whether the wallet's ledger has the definition (ACA-Py caches ledger reads);
    None when the ledger could not be asked."""
    if not cred_def_id:
        return False
    try:
        executor = profile.inject_or(IndyLedgerRequestsExecutor)
        if executor is not None:
            ledger = (await executor.get_ledger_for_identifier(
                cred_def_id, txn_record_type=GET_CRED_DEF))[1]
        else:
            ledger = profile.inject_or(BaseLedger)
        if ledger is None:
            return None
        async with ledger:
            found = await ledger.get_credential_definition(cred_def_id)
    except (BaseError, ValueError):
        return None
    return bool(found)
