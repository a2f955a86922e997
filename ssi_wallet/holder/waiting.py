"""Waiting for an exchange to reach a state, by the agent's events, never by polling.

The event stream is opened before the action that causes the event, then the record's
current state is read once (the event may already have passed), then we wait for an
event saying the record reached a final state, and read the record (the authority)
once more. Intermediate states are not read: every read is served by the same agent
event loop that is working on the exchange, and slowed it down.
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
    trigger: Callable[[], str | tuple[str, dict[str, Any]]],
    fetch: Callable[[str], dict[str, Any]],
    done: Iterable[str],
    failed: Iterable[str] = ("abandoned",),
    timeout: float,
    what: str,
    state_of: Callable[[dict[str, Any]], str] = lambda rec: rec.get("state", ""),
) -> dict[str, Any]:
    """Run `trigger`, then wait until the record is in `done`. `trigger` returns the
    record id, or the id and the record as the action answered it: then that is the
    record's first state, not read again (the stream was open before the action, so no
    later event is missed)."""

    done, failed = tuple(done), tuple(failed)
    deadline = time.monotonic() + timeout
    with client.events() as stream:
        started = trigger()
        record_id, record = started if isinstance(started, tuple) else (started, fetch(started))
        wanted: tuple[str, ...] | None = done + failed  # None: any event of the record
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
            stream.wait(topic, lambda payload, states=wanted: _concerns(
                payload, id_field, record_id, states), timeout=remaining)
            record = fetch(record_id)
            # Woken by a final state that `state_of` does not count yet (a credential
            # `done` but not stored): any later event of the record may be the one.
            wanted = None
        return record


def _concerns(payload: dict[str, Any], id_field: str, record_id: str,
              states: tuple[str, ...] | None) -> bool:
    """An event of the record, in one of `states` (any, when None or not said)."""
    if payload.get(id_field) != record_id:
        return False
    state = payload.get("state")
    return states is None or not state or state in states
