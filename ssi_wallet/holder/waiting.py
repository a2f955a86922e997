"""Waiting for an exchange to reach a state, by the agent's events, never by polling.

The event stream is opened before the action that causes the event, then the record's
current state is read once (the event may already have passed), then we wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ssi_wallet.errors import ServiceError

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient


def wait_for_state(
    client: AdminClient,
    *,
    topic: str,
    id_field: str,
    trigger: Callable[[], str],
    fetch: Callable[[str], dict[str, Any]],
    done: Iterable[str],
    failed: Iterable[str] = ("abandoned",),
    timeout: float,
    what: str,
    state_of: Callable[[dict[str, Any]], str] = lambda rec: rec.get("state", ""),
) -> dict[str, Any]:
    """Run `trigger` (returns the record id), then wait until the record is in `done`."""

    done, failed = tuple(done), tuple(failed)
    deadline = time.monotonic() + timeout
    with client.events() as stream:
        record_id = trigger()
        record = fetch(record_id)
        while state_of(record) not in done:
            if state_of(record) in failed:
                reason = record.get("error_msg") or state_of(record)
                raise ServiceError(f"{what} {record_id} failed: {reason}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceError(
                    f"timed out after {timeout:.0f} s waiting for {what} {record_id} "
                    f"(state {state_of(record) or 'unknown'})"
                )
            stream.wait(
                topic,
                lambda payload: payload.get(id_field) == record_id,
                timeout=remaining,
            )
            record = fetch(record_id)
        return record
