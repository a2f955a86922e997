"""Answers proof requests under standing consent as they arrive, while the agent runs,
whether or not any command is running."""

from __future__ import annotations

import re

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.core.event_bus import Event, EventBus
from aries_cloudagent.core.profile import Profile

from ssi_wallet.acapy_plugin.history import ANSWERED_UNDER_CONSENT
from ssi_wallet.acapy_plugin.worker import in_background

REQUEST_RECEIVED = re.compile(r"^acapy::record::present_proof_v2_0::request-received$")


def subscribe(context: InjectionContext) -> None:
    context.inject(EventBus).subscribe(REQUEST_RECEIVED, on_request_received)


async def on_request_received(profile: Profile, event: Event) -> None:
    pres_ex_id = event.payload.get("pres_ex_id")
    if pres_ex_id:
        in_background(profile, _answer, pres_ex_id, what=f"consent check of {pres_ex_id}")


def _answer(client, pres_ex_id: str) -> None:
    from ssi_wallet.holder.consent import answer_under_consent

    answer_under_consent(client, pres_ex_id, mark=ANSWERED_UNDER_CONSENT.__setitem__)
