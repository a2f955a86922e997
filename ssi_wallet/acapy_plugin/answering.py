"""Answering one proof request under standing consent, inside the agent, with ACA-Py's
Python API (wallet sessions, the holder, the present-proof manager): no admin calls.

The decisions are the wallet's own, shared with the CLI: `holder.consent.screen` (which
consent covers the request: scope, monthly limit), `holder.planning.decide_plan` (which
credential answers each item) and `holder.consent.verdict` (present, decline or leave
it for the citizen). Only the fetching and the sending are done here.

Several answers may run at once on the agent's event loop (`setup(..., limit=N)`).
What must not overlap is serialized: one answer per request, and the monthly-limit
check together with its reservation (so two answers cannot both take the last use).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from typing import Any

from aries_cloudagent.core.profile import Profile
from aries_cloudagent.indy.holder import IndyHolder
from aries_cloudagent.ledger.base import BaseLedger
from aries_cloudagent.messaging.responder import BaseResponder
from aries_cloudagent.protocols.present_proof.v2_0 import problem_report_for_record
from aries_cloudagent.protocols.present_proof.v2_0.manager import V20PresManager
from aries_cloudagent.protocols.present_proof.v2_0.models.pres_exchange import V20PresExRecord

from ssi_wallet.acapy_plugin import candidates, records
from ssi_wallet.acapy_plugin.history import (
    ANSWERED_UNDER_CONSENT,
    add_entry,
    counterparty,
    recorded,
)
from ssi_wallet.acapy_plugin.stored import indy_attachment, raw
from ssi_wallet.holder.consent import Answer, Consent, screen, uses_in_month, verdict
from ssi_wallet.holder.models import ProofRequest
from ssi_wallet.holder.planning import (
    NeedFacts,
    Plan,
    PlanFacts,
    all_referents,
    decide_plan,
    revocation_time,
)

LOGGER = logging.getLogger(__name__)
OPEN = V20PresExRecord.STATE_REQUEST_RECEIVED
DEFAULT_LIMIT = 4


class Answers:
    """Runs consent answers as tasks on the agent's loop, at most `limit` at a time."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = max(1, limit)
        self._slots: asyncio.Semaphore | None = None
        self._screening: asyncio.Lock | None = None
        self._busy: set[str] = set()
        self._reserved: Counter[str] = Counter()
        self._tasks: set[asyncio.Task] = set()

    def start(self, profile: Profile, pres_ex_id: str) -> None:
        """Answer `pres_ex_id` in the background, once; failures are logged."""
        if pres_ex_id in self._busy:
            return
        self._busy.add(pres_ex_id)
        task = asyncio.get_running_loop().create_task(self._guarded(profile, pres_ex_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, profile: Profile, pres_ex_id: str) -> Answer | None:
        if self._slots is None:
            self._slots, self._screening = asyncio.Semaphore(self.limit), asyncio.Lock()
        try:
            async with self._slots:
                return await self.answer(profile, pres_ex_id)
        except Exception:
            LOGGER.exception("ssi-wallet: consent check of %s failed", pres_ex_id)
            return None
        finally:
            self._busy.discard(pres_ex_id)

    async def answer(self, profile: Profile, pres_ex_id: str, *,
                     today: dt.date | None = None) -> Answer:
        today = today or dt.date.today()
        async with profile.session() as session:
            stored = await raw(session, V20PresExRecord.RECORD_TYPE, pres_ex_id, "pres_ex_id")
        if stored is None or stored.get("state") != OPEN:
            state = stored.get("state") if stored else "gone"
            return Answer(None, "waiting", f"request is {state}")
        request = ProofRequest.from_record(request_record(stored))
        assert self._screening is not None
        async with self._screening:  # the monthly limit is counted and reserved at once
            consent, reason = await self._screen(profile, request, today)
            if consent is None:
                return Answer(None, "waiting", reason)
            self._reserved[consent.id] += 1
        try:
            plan = await plan_in_agent(profile, request)
            outcome = verdict(consent, plan)
            if outcome.action == "presented":
                await present(profile, pres_ex_id, plan, consent.id)
                await recorded(pres_ex_id)  # counted in the history before the reservation ends
            elif outcome.action == "declined":
                await decline(profile, request, outcome.reason, consent.id)
            return outcome
        finally:
            self._reserved[consent.id] -= 1

    async def _screen(self, profile: Profile, request: ProofRequest, today: dt.date
                      ) -> tuple[Consent | None, str]:
        async with profile.session() as session:
            docs = await records.find(session, "consent",
                                      {"connection_id": request.connection_id or ""})
            consents = [Consent.from_record(d) for d in docs]
            limited = any(c.max_per_month is not None for c in consents)
            history = await records.find(session, "history") \
                if limited else []
        return screen(request, consents, today,
                      lambda cid: uses_in_month(history, cid, today) + self._reserved[cid])


async def plan_in_agent(profile: Profile, request: ProofRequest) -> Plan:
    """`decide_plan` fed from the wallet and the ledger directly."""
    facts = PlanFacts(request)
    await candidates.fetch_into(profile, facts, all_referents(request))
    while True:
        try:
            return decide_plan(facts)
        except NeedFacts as need:
            await candidates.fetch_into(profile, facts, need.more)
            for check in need.revocation:
                at = revocation_time(check.interval, time.time())
                facts.revoked[check.credential.id] = await revoked(
                    profile, check.credential.id, at)


async def revoked(profile: Profile, credential_id: str, at: int) -> bool:
    """Whether the issuer revoked the credential by `at` (a ledger read of the
    registry's delta; what `GET /credential/revoked/{id}` does)."""
    ledger = profile.inject_or(BaseLedger)
    if ledger is None:
        raise RuntimeError("no ledger to check revocation on")
    async with ledger:
        return await profile.inject(IndyHolder).credential_revoked(ledger, credential_id,
                                                                   None, at)


def request_record(stored: dict[str, Any]) -> dict[str, Any]:
    """A raw stored exchange in the shape `ProofRequest.from_record` reads (ACA-Py's
    serialized record): the fields it uses, the request decoded as `by_format`."""
    request = indy_attachment(stored.get("pres_request"), "request_presentations~attach")
    return {**{k: stored.get(k) for k in ("pres_ex_id", "connection_id", "state",
                                         "created_at")},
            "by_format": {"pres_request": {"indy": request}}}


async def present(profile: Profile, pres_ex_id: str, plan: Plan, consent_id: str) -> None:
    """Build the presentation the plan describes and send it (ACA-Py's
    send-presentation, in process). History records it on `presentation-sent`."""
    async with profile.session() as session:
        record = await V20PresExRecord.retrieve_by_id(session, pres_ex_id)
    if record.state != OPEN:  # answered meanwhile (by the citizen's command)
        return
    record.auto_remove = not profile.settings.get("preserve_exchange_records")
    ANSWERED_UNDER_CONSENT[pres_ex_id] = consent_id
    try:
        record, message = await V20PresManager(profile).create_pres(
            record, request_data=plan.presentation_spec())
    except Exception:
        ANSWERED_UNDER_CONSENT.pop(pres_ex_id, None)
        raise
    await _send(profile, message, record.connection_id)


async def decline(profile: Profile, request: ProofRequest, reason: str,
                  consent_id: str) -> None:
    """Refuse with a problem report; the history notes it and which consent did it."""
    async with profile.session() as session:
        record = await V20PresExRecord.retrieve_by_id(session, request.id)
        await record.save_error_state(session, reason=f"created problem report: {reason}")
    await _send(profile, problem_report_for_record(record, reason), record.connection_id)
    async with profile.session() as session:
        entry: dict[str, Any] = {"kind": "declined", "connection_id": request.connection_id,
                                 "pres_ex_id": request.id, "request_name": request.name,
                                 "reason": reason, "consent_id": consent_id}
        entry.update(await counterparty(session, request.connection_id))
        await add_entry(session, entry)


async def _send(profile: Profile, message, connection_id: str | None) -> None:
    await profile.inject(BaseResponder).send(message, connection_id=connection_id)
