"""When a credential arrives, evaluate the scheme catalogue inside the wallet and keep a
notice for every scheme it makes the citizen eligible for."""

from __future__ import annotations

import os
import re
from pathlib import Path

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.core.event_bus import Event, EventBus
from aries_cloudagent.core.profile import Profile

from ssi_wallet.acapy_plugin import records
from ssi_wallet.acapy_plugin.worker import in_background

CREDENTIAL_DONE = re.compile(r"^acapy::record::issue_credential_v2_0::done$")


def subscribe(context: InjectionContext) -> None:
    context.inject(EventBus).subscribe(CREDENTIAL_DONE, on_credential_done)


async def on_credential_done(profile: Profile, event: Event) -> None:
    if event.payload.get("role") != "holder":
        return
    in_background(profile, _evaluate, event.payload.get("cred_ex_id"),
                  what="eligibility check", when=_has_schemes)


async def _has_schemes(profile: Profile) -> bool:
    """Whether the catalogue holds a scheme: with none, a new credential makes the
    citizen eligible for nothing, and there is nothing to evaluate."""
    from ssi_wallet.holder.schemes import CATEGORY

    async with profile.session() as session:
        return bool(await records.find(session, CATEGORY))


def _evaluate(client, cred_ex_id: str) -> None:
    from ssi_wallet.holder.eligibility import notice_new_credential
    from ssi_wallet.holder.notices import write_count

    root = Path(os.environ.get("ACAPY_HOME", "."))
    notice_new_credential(client, cred_ex_id, notify=lambda n: write_count(root, n))
