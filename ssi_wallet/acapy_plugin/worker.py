"""Background work the wallet does inside its agent through the admin API: evaluating
eligibility when a credential arrives. (Consent answers run in process instead, see
`answering.py`.)

That work is the same code the CLI runs (`ssi_wallet.holder`), which speaks the admin
API; here it runs in a worker thread against the agent's own admin API on loopback, so
the event loop stays free and there is one implementation of each rule.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aries_cloudagent.core.profile import Profile

LOGGER = logging.getLogger(__name__)
_tasks: set[asyncio.Task] = set()
#: Background jobs get threads of their own. They block on HTTP calls into this very
#: agent (and on `_one_job`); on the event loop's default executor (asyncio.to_thread)
#: they held the threads ACA-Py itself needs to build presentations and process
#: credentials (credx runs there), so a few concurrent consent answers starved the agent
#: until its admin calls timed out (benchmark, 8 exchanges in flight: HTTP 504s).
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ssi-wallet-plugin")
# One background job at a time: they are bookkeeping, and must never crowd ACA-Py's own
# work (wallet sessions, admin requests) during a burst of exchanges.
_one_job = threading.Semaphore(1)


def self_client(profile: Profile):
    """An admin-API client of this very agent."""
    from ssi_wallet.agent.admin import AdminClient

    settings = profile.settings
    host = settings.get("admin.host") or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{host}:{settings.get('admin.port')}"
    return AdminClient(url, settings.get("admin.admin_api_key") or "", name="wallet")


def in_background(profile: Profile, job: Callable[..., Any], *args: Any, what: str,
                  when: Callable[[Profile], Awaitable[bool]] | None = None) -> None:
    """Run `job(client, *args)` in a thread; failures are logged, never raised. With
    `when`, only if `await when(profile)` (checked on the loop, straight from the wallet)
    says there is work: the job's admin calls compete with the agent's own exchanges."""

    def run() -> Any:
        with _one_job, self_client(profile) as client:
            return job(client, *args)

    async def guarded() -> None:
        try:
            if when is not None and not await when(profile):
                return
            await asyncio.get_running_loop().run_in_executor(_POOL, run)
        except Exception:
            LOGGER.exception("ssi-wallet: %s failed", what)

    task = asyncio.get_event_loop().create_task(guarded())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
