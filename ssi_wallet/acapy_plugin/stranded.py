"""Once per agent start: abandon the exchanges a restart stranded.

A credential request or presentation that was `sent` before this agent started either
left before the previous process died or died with ACA-Py's in-memory outbound queue.
If the peer has not answered `exchanges.grace_seconds` after the start (its own retries,
4 x 10 s, are over by then), nothing will ever move it: the wallet tells the peer with a
problem report, so both sides end `abandoned` (`ssi_wallet.holder.stranded`).
`exchanges.abandon_after_restart = false` leaves them to the citizen instead
(`offers list --waiting`, `offers abandon`, `requests abandon`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from pathlib import Path

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.core.event_bus import Event
from aries_cloudagent.core.profile import Profile

from ssi_wallet.acapy_plugin.startup import after_start, started_at
from ssi_wallet.acapy_plugin.worker import in_background

LOGGER = logging.getLogger(__name__)


def subscribe(context: InjectionContext) -> None:
    after_start(context, on_startup)


async def on_startup(profile: Profile, event: Event) -> None:
    from ssi_wallet.holder.stranded import abandon_after_restart, grace_seconds

    home = Path(os.environ.get("ACAPY_HOME", ".")).resolve().parent
    try:
        if not abandon_after_restart(home):
            return
        grace = grace_seconds(home)
    except Exception:  # a bad setting must not stop the agent
        LOGGER.exception("ssi-wallet: exchanges settings unreadable; nothing abandoned")
        return
    started = started_at()
    asyncio.get_running_loop().call_later(
        grace + 1.0,
        lambda: in_background(profile, _resolve, grace, started,
                              what="abandoning exchanges stranded by a restart"))


def _resolve(client, grace: float, started_at: dt.datetime) -> None:
    from ssi_wallet.holder.stranded import abandon_survivors

    for outcome in abandon_survivors(client, grace=grace, started_at=started_at):
        LOGGER.warning("ssi-wallet: %s exchange %s stranded by a restart: %s",
                       outcome["kind"], outcome["id"], outcome["outcome"])
