"""One reader thread per agent event stream (`/ws`), handing events to whoever waits.

Waiters register a predicate and get a Future. Events are also kept in a short ring, so
a waiter that registers after its event passed (the trigger's HTTP reply can come back
after the other side already finished) still finds it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ssi_wallet.agent.events import EventStream

Match = Callable[[str, dict[str, Any]], bool]


class EventHub:
    def __init__(self, admin_url: str, api_key: str, name: str, ring: int = 5000) -> None:
        self.stream = EventStream(admin_url, api_key, name=name, backlog=10)
        self.name = name
        self._lock = threading.Lock()
        self._ring: deque[tuple[str, dict[str, Any]]] = deque(maxlen=ring)
        self._waiters: list[tuple[Match, Future]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"events-{name}", daemon=True)
        self.count = 0

    def __enter__(self) -> EventHub:
        self.stream.open()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.stream.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                event = self.stream.next(timeout=0.5)
            except Exception as error:  # noqa: BLE001 - agent gone: fail every waiter
                with self._lock:
                    for _, fut in self._waiters:
                        if not fut.done():
                            fut.set_exception(error)
                    self._waiters.clear()
                return
            if event is None:
                continue
            topic, payload = event.get("topic", ""), event.get("payload") or {}
            if not isinstance(payload, dict):
                continue
            with self._lock:
                self.count += 1
                self._ring.append((topic, payload))
                keep = []
                for match, fut in self._waiters:
                    if not fut.done() and match(topic, payload):
                        fut.set_result(payload)
                    elif not fut.done():
                        keep.append((match, fut))
                self._waiters = keep

    def expect(self, match: Match, *, fresh: bool = False) -> Future:
        """A Future resolved with the first event (already seen, unless `fresh`, or to
        come) matching."""
        fut: Future = Future()
        with self._lock:
            for topic, payload in reversed(self._ring) if not fresh else ():
                if match(topic, payload):
                    fut.set_result(payload)
                    return fut
            self._waiters.append((match, fut))
        return fut


def on(topic: str, **fields: Any) -> Match:
    """Match events of `topic` whose payload has all `fields` (a tuple: any of them)."""

    def match(t: str, payload: dict[str, Any]) -> bool:
        if t != topic:
            return False
        for key, want in fields.items():
            got = payload.get(key)
            if isinstance(want, tuple):
                if got not in want:
                    return False
            elif got != want:
                return False
        return True

    return match
