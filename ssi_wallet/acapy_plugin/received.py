"""Once per agent start: finish credentials that arrived but were not stored.

ACA-Py saves a holder exchange as `credential-received` when the credential arrives,
then stores it in the wallet (its own Askar transaction), then notes the stored id on
the exchange's detail record, then saves `done` and acknowledges. A kill -9 between
those steps leaves the exchange at `credential-received` for good: nothing in ACA-Py
resumes it, and the issuer waits for an acknowledgement (crash runs, kill while
`offers accept` runs). Here each such exchange is finished exactly once:

- the detail record names the stored credential: only `done` and the ack are missing;
- the wallet already holds this very credential (stored, then killed before the detail
  record was saved): the detail record is pointed at it, so it is not stored twice;
- otherwise the credential is stored now, then `done` and the ack.

"This very credential" is recognised by its signature: the issuer's `e` and `A`
(`p_credential`) are kept unchanged when the wallet processes a credential, and are
unique to one issuance.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.core.event_bus import Event
from aries_cloudagent.core.profile import Profile
from aries_cloudagent.protocols.issue_credential.v2_0.manager import V20CredManager
from aries_cloudagent.protocols.issue_credential.v2_0.messages.cred_format import V20CredFormat
from aries_cloudagent.protocols.issue_credential.v2_0.models.cred_ex_record import (
    V20CredExRecord,
)
from aries_cloudagent.protocols.issue_credential.v2_0.models.detail.indy import (
    V20CredExRecordIndy,
)

from ssi_wallet.acapy_plugin.candidates import CATEGORY
from ssi_wallet.acapy_plugin.startup import after_start, started_at
from ssi_wallet.holder.stranded import parse_time

LOGGER = logging.getLogger(__name__)


def subscribe(context: InjectionContext) -> None:
    after_start(context, on_startup)


async def on_startup(profile: Profile, event: Event) -> None:
    try:
        for cred_ex_id, outcome in await finish_received(profile, started_at()):
            LOGGER.warning("ssi-wallet: credential exchange %s interrupted after the "
                           "credential arrived: %s", cred_ex_id, outcome)
    except Exception:  # recovery must never stop the agent
        LOGGER.exception("ssi-wallet: could not finish interrupted credential exchanges")


async def finish_received(profile: Profile, before: dt.datetime | None
                          ) -> list[tuple[str, str]]:
    """Finish the holder's `credential-received` exchanges last changed before `before`
    (None: all); (exchange id, what was done) for each."""
    async with profile.session() as session:
        records = await V20CredExRecord.query(session, {}, post_filter_positive={
            "role": V20CredExRecord.ROLE_HOLDER,
            "state": V20CredExRecord.STATE_CREDENTIAL_RECEIVED})
    done = []
    for record in records:
        if before is not None and _when(record.updated_at) >= before:
            continue  # arrived after this start: ACA-Py's own flow is storing it
        done.append((record.cred_ex_id, await _finish(profile, record)))
    return done


async def _finish(profile: Profile, record: V20CredExRecord) -> str:
    manager = V20CredManager(profile)
    async with profile.session() as session:
        details = await V20CredExRecordIndy.query_by_cred_ex_id(session, record.cred_ex_id)
    detail = details[0] if details else None
    if detail is None:
        return "left alone (not an AnonCreds exchange)"
    if detail.cred_id_stored:
        outcome = f"was stored as {detail.cred_id_stored}; acknowledged"
    else:
        issued = record.cred_issue.attachment(V20CredFormat.Format.INDY)
        stored_id = await _stored_copy(profile, issued)
        if stored_id:
            detail.cred_id_stored = stored_id
            detail.rev_reg_id = issued.get("rev_reg_id")
            async with profile.session() as session:
                await detail.save(session, reason="ssi-wallet: stored copy found")
            outcome = f"was stored as {stored_id} (not noted); acknowledged"
        else:
            await manager.store_credential(record)
            outcome = "stored now; acknowledged"
    await manager.send_cred_ack(record)
    return outcome


async def _stored_copy(profile: Profile, issued: dict[str, Any]) -> str | None:
    """The id of the wallet's copy of `issued`, if the wallet holds it already."""
    tags = {"cred_def_id": issued["cred_def_id"]}
    tags.update({f"attr::{name.replace(' ', '')}::value": value["raw"]
                 for name, value in issued["values"].items()})
    mark = _signature_mark(issued)
    async with profile.session() as session:
        rows = await session.handle.fetch_all(CATEGORY, tags)
    for row in rows:
        if _signature_mark(json.loads(bytes(row.raw_value))) == mark:
            return row.name
    return None


def _signature_mark(credential: dict[str, Any]) -> tuple[str, str]:
    primary = (credential.get("signature") or {}).get("p_credential") or {}
    return str(primary.get("e")), str(primary.get("a"))


def _when(stamp: str | None) -> dt.datetime:
    """When a record last changed; the earliest time when it does not say."""
    return parse_time(stamp) or dt.datetime.min.replace(tzinfo=dt.UTC)
