"""The history log: every disclosure and every credential received or deleted.

Entries are StorageRecords of type `ssi_wallet_history` in the agent's wallet, so they
are encrypted with the wallet key and go wherever the wallet goes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.connections.models.conn_record import ConnRecord
from aries_cloudagent.core.event_bus import Event, EventBus
from aries_cloudagent.core.profile import Profile, ProfileSession
from aries_cloudagent.protocols.issue_credential.v2_0.models.cred_ex_record import (
    V20CredExRecord,
)
from aries_cloudagent.protocols.issue_credential.v2_0.models.detail.indy import (
    V20CredExRecordIndy,
)
from aries_cloudagent.protocols.present_proof.v2_0.models.pres_exchange import V20PresExRecord
from aries_cloudagent.storage.error import StorageNotFoundError

from ssi_wallet.acapy_plugin import records
from ssi_wallet.acapy_plugin.stored import indy_attachment, raw

LOGGER = logging.getLogger(__name__)
# The plugin's own bookkeeping takes one wallet session at a time, so that a burst of
# exchanges never leaves ACA-Py itself waiting for a session (Askar's pool is small).
_ONE_AT_A_TIME: asyncio.Semaphore | None = None


def _turn() -> asyncio.Semaphore:
    global _ONE_AT_A_TIME
    if _ONE_AT_A_TIME is None:
        _ONE_AT_A_TIME = asyncio.Semaphore(1)
    return _ONE_AT_A_TIME
KINDS = (
    "disclosure",
    "declined",
    "credential_received",
    "credential_deleted",
    "offer_declined",
    "exchange_abandoned",
)
PRESENTATION_SENT = re.compile(r"^acapy::record::present_proof_v2_0::presentation-sent$")
# pres_ex_id -> consent id, set by the in-agent consent responder before it presents.
ANSWERED_UNDER_CONSENT: dict[str, str] = {}
# pres_ex_id -> the task writing its disclosure entry, while it runs.
RECORDING: dict[str, asyncio.Task] = {}
_TASKS: set[asyncio.Task] = set()
CREDENTIAL_DONE = re.compile(r"^acapy::record::issue_credential_v2_0::done$")


def subscribe(context: InjectionContext) -> None:
    """Attach the history recorders to the agent's event bus."""
    bus = context.inject(EventBus)
    bus.subscribe(PRESENTATION_SENT, on_presentation_sent)
    bus.subscribe(CREDENTIAL_DONE, on_credential_done)


async def add_entry(session: ProfileSession, entry: dict[str, Any]) -> dict[str, Any]:
    """Store one entry; `at` is filled in when missing."""
    if entry.get("kind") not in KINDS:
        raise ValueError(f"unknown history kind {entry.get('kind')!r}")
    return await records.add(session, "history", {"at": _now(), **entry})


async def list_entries(session: ProfileSession, *, kind: str | None = None,
                       connection_id: str | None = None) -> list[dict[str, Any]]:
    """All entries, oldest first, optionally of one kind or one connection."""
    query = {k: v for k, v in {"kind": kind, "connection_id": connection_id}.items() if v}
    entries = await records.find(session, "history", query)
    return sorted(entries, key=lambda entry: entry["at"])


async def on_presentation_sent(profile: Profile, event: Event) -> None:
    """Record what left the wallet: revealed values, proven predicates, to whom.

    ACA-Py calls this inside the wallet session it saved the exchange with; waiting here
    for our turn would hold that session (a burst of exchanges then ran Askar's pool dry:
    HTTP 504s at 8 in flight), so the entry is written by a task of its own."""
    pres_ex_id = event.payload.get("pres_ex_id")
    if pres_ex_id:
        RECORDING[pres_ex_id] = _later(_record_presentation(profile, pres_ex_id),
                                       lambda: RECORDING.pop(pres_ex_id, None))


async def recorded(pres_ex_id: str) -> None:
    """Wait until the disclosure of `pres_ex_id` is in the history (if being written)."""
    task = RECORDING.get(pres_ex_id)
    if task is not None:
        await asyncio.shield(task)


async def _record_presentation(profile: Profile, pres_ex_id: str) -> None:
    try:
        async with _turn(), profile.session() as session:
            record = await _exchange(session, V20PresExRecord.RECORD_TYPE, pres_ex_id,
                                     "pres_ex_id")
            entry = disclosure_entry(record)
            entry.update(await counterparty(session, record.get("connection_id")))
            await add_entry(session, entry)
    except Exception:  # history must never break the exchange itself
        LOGGER.exception("ssi-wallet: could not record presentation %s", pres_ex_id)


async def _exchange(session: ProfileSession, record_type: str, record_id: str,
                    id_field: str) -> dict[str, Any]:
    """The exchange the entry is about, raw (`stored.py`: a few fields are needed)."""
    record = await raw(session, record_type, record_id, id_field)
    if record is None:
        raise StorageNotFoundError(f"no {record_type} {record_id}")
    return record


def _later(coro, done=None) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(coro)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    if done is not None:
        task.add_done_callback(lambda _task: done())
    return task


async def on_credential_done(profile: Profile, event: Event) -> None:
    """Record a credential stored in the wallet (holder role only)."""
    if event.payload.get("role") != V20CredExRecord.ROLE_HOLDER:
        return
    _later(_record_credential(profile, event.payload.get("cred_ex_id")))  # as above


async def _record_credential(profile: Profile, cred_ex_id: str | None) -> None:
    try:
        async with _turn(), profile.session() as session:
            record = await _exchange(session, V20CredExRecord.RECORD_TYPE, cred_ex_id or "",
                                     "cred_ex_id")
            details = await V20CredExRecordIndy.query_by_cred_ex_id(session, cred_ex_id)
            offer = record.get("cred_offer") or {}
            preview = offer.get("credential_preview") or {}
            entry = {
                "kind": "credential_received",
                "cred_ex_id": cred_ex_id,
                "connection_id": record.get("connection_id"),
                "credential_id": details[0].cred_id_stored if details else None,
                "cred_def_id": indy_attachment(offer, "offers~attach").get("cred_def_id"),
                "attributes": [attr.get("name") for attr in preview.get("attributes") or []],
            }
            entry.update(await counterparty(session, record.get("connection_id")))
            entry = await add_entry(session, entry)
        if entry["credential_id"]:
            from ssi_wallet.acapy_plugin.candidates import mark_received

            await mark_received(profile, entry["credential_id"], entry["at"])
    except Exception:
        LOGGER.exception("ssi-wallet: could not record credential exchange %s", cred_ex_id)


def disclosure_entry(record: dict[str, Any]) -> dict[str, Any]:
    """What a sent presentation disclosed, read from the proof itself (`record`: the
    exchange as stored)."""
    request = indy_attachment(record.get("pres_request"), "request_presentations~attach")
    proof = indy_attachment(record.get("pres"), "presentations~attach")
    requested_proof = proof.get("requested_proof", {})
    requested_attrs = request.get("requested_attributes", {})
    revealed: dict[str, str] = {}
    for ref, value in requested_proof.get("revealed_attrs", {}).items():
        revealed[requested_attrs.get(ref, {}).get("name", ref)] = value.get("raw")
    for group in requested_proof.get("revealed_attr_groups", {}).values():
        for name, value in group.get("values", {}).items():
            revealed[name] = value.get("raw")
    self_attested = dict(requested_proof.get("self_attested_attrs", {}))
    predicates = [
        {"name": spec.get("name"), "p_type": spec.get("p_type"), "p_value": spec.get("p_value")}
        for ref, spec in request.get("requested_predicates", {}).items()
        if ref in requested_proof.get("predicates", {})
    ]
    pres_ex_id = record.get("pres_ex_id")
    return {
        "kind": "disclosure",
        "pres_ex_id": pres_ex_id,
        "connection_id": record.get("connection_id"),
        "request_name": request.get("name"),
        "revealed": revealed,
        "self_attested": self_attested,
        "predicates": predicates,
        "cred_def_ids": sorted(
            {ident.get("cred_def_id") for ident in proof.get("identifiers", [])} - {None}
        ),
        "consent_id": ANSWERED_UNDER_CONSENT.pop(pres_ex_id, None),
    }


async def counterparty(session: ProfileSession, connection_id: str | None) -> dict[str, Any]:
    if not connection_id:
        return {"counterparty": None, "counterparty_did": None}
    try:
        conn = await ConnRecord.retrieve_by_id(session, connection_id)
    except StorageNotFoundError:
        return {"counterparty": None, "counterparty_did": None}
    return {"counterparty": conn.their_label, "counterparty_did": conn.their_public_did}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
