"""Answers proof requests under standing consent as they arrive, while the agent runs,
whether or not any command is running: in process (see `answering.py`), up to N at a
time (`--plugin-config-value ssi_wallet.concurrent_answers=N`, default 4)."""

from __future__ import annotations

import re

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.core.event_bus import Event, EventBus
from aries_cloudagent.core.profile import Profile

from ssi_wallet.acapy_plugin.answering import DEFAULT_LIMIT, Answers

REQUEST_RECEIVED = re.compile(r"^acapy::record::present_proof_v2_0::request-received$")
ANSWERS = Answers()


def subscribe(context: InjectionContext) -> None:
    config = (context.settings.get("plugin_config") or {}).get("ssi_wallet") or {}
    try:
        ANSWERS.limit = max(1, int(config.get("concurrent_answers", DEFAULT_LIMIT)))
    except (TypeError, ValueError):
        ANSWERS.limit = DEFAULT_LIMIT
    context.inject(EventBus).subscribe(REQUEST_RECEIVED, on_request_received)


async def on_request_received(profile: Profile, event: Event) -> None:
    pres_ex_id = event.payload.get("pres_ex_id")
    if pres_ex_id and event.payload.get("role") == "prover":
        ANSWERS.start(profile, pres_ex_id)
