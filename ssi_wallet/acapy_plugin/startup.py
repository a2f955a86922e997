"""When this agent process started, and a hook for work to do once it has.

Recovery after a crash (stranded exchanges, credentials received but not stored) looks
only at what was there before this start: what arrives later is ACA-Py's own flow.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.core.event_bus import Event, EventBus
from aries_cloudagent.core.profile import Profile

STARTUP = re.compile(r"^acapy::core::startup$")
_started_at: dt.datetime | None = None


def started_at() -> dt.datetime:
    """When the plugin was set up in this process (before any message was handled)."""
    global _started_at
    if _started_at is None:
        _started_at = dt.datetime.now(dt.UTC)
    return _started_at


def after_start(context: InjectionContext,
                job: Callable[[Profile, Event], Awaitable[None]]) -> None:
    """Run `job` once ACA-Py has started (its start-up event)."""
    started_at()
    context.inject(EventBus).subscribe(STARTUP, job)
