"""Wait for ACA-Py events on its admin websocket (`/ws`) instead of polling.

ACA-Py sends every webhook topic (`connections`, `out_of_band`, `issue_credential_v2_0`,
`present_proof_v2_0`, ...) as `{"topic", "payload"}` to authenticated websocket clients,
plus `settings` (first message, says whether we are authenticated) and `ping` every 5 s.
We authenticate with the x-api-key header and wait for the `settings` message before
`__enter__` returns: from then on no event is missed. Subscribe BEFORE triggering an
action, then also check the current state over the admin API (the event may already
have happened before the subscription).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from ssi_wallet.errors import ServiceError

if TYPE_CHECKING:
    from ssi_wallet.agent.running import AgentRuntime

Match = Callable[[dict[str, Any]], bool]
_CONTROL_TOPICS = ("ping", "settings")


class EventTimeout(ServiceError):
    """The awaited event did not come in time."""

    code = "timeout"


class EventStream:
    """A context manager subscribed to one agent's events.

    Events that arrive while waiting for something else are kept (up to `backlog`) and
    served to later `wait` calls, so two waits in a row cannot lose the second event.
    """

    def __init__(self, admin_url: str, api_key: str, *, name: str = "agent",
                 open_timeout: float = 10.0, backlog: int = 1000) -> None:
        self.url = admin_url.rstrip("/").replace("http://", "ws://", 1).replace(
            "https://", "wss://", 1) + "/ws"
        self.name = name
        self._api_key = api_key
        self._open_timeout = open_timeout
        self._backlog: deque[dict[str, Any]] = deque(maxlen=backlog)
        self._ws: Any = None

    @classmethod
    def from_runtime(cls, runtime: AgentRuntime, **kwargs: Any) -> EventStream:
        return cls(runtime.admin_url, runtime.api_key, name=runtime.name or "agent", **kwargs)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> EventStream:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Connect and wait until ACA-Py confirms the subscription is authenticated."""
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        try:
            # Entered as a context manager: the form every websockets release from 15 on
            # accepts without warnings (17 deprecates bare `connect()`).
            self._ws = connect(
                self.url,
                additional_headers={"x-api-key": self._api_key},
                open_timeout=self._open_timeout,
                proxy=None,
                max_size=None,  # credential and revocation records can be large
                max_queue=None,
                compression=None,
            ).__enter__()
        except (OSError, TimeoutError, WebSocketException) as err:
            raise ServiceError(f"{self.name} not running (no event stream at {self.url}: "
                               f"{type(err).__name__})") from err
        try:
            settings = self._receive(self._open_timeout)
            while settings is not None and settings.get("topic") != "settings":
                settings = self._receive(self._open_timeout)
            if settings is None:
                raise ServiceError(f"{self.name}: the event stream did not say hello")
            if not settings.get("payload", {}).get("authenticated"):
                raise ServiceError(f"{self.name} refused the admin API key on its event stream")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._ws is not None:
            ws, self._ws = self._ws, None
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - closing a broken socket must not mask errors
                pass

    # ------------------------------------------------------------------ waiting

    def wait(self, topic: str | Collection[str], match: Match | None = None,
             timeout: float = 30.0) -> dict[str, Any]:
        """The payload of the first event on `topic` for which `match(payload)` holds.

        Raises EventTimeout after `timeout` seconds, ServiceError if the agent goes away.
        """
        topics = (topic,) if isinstance(topic, str) else tuple(topic)
        for index, event in enumerate(self._backlog):
            if _fits(event, topics, match):
                del self._backlog[index]
                return event["payload"]
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EventTimeout(
                    f"{self.name}: no {'/'.join(topics)} event as expected within "
                    f"{timeout:g} s")
            event = self._receive(remaining)
            if event is None or event.get("topic") in _CONTROL_TOPICS:
                continue
            if _fits(event, topics, match):
                return event["payload"]
            self._backlog.append(event)

    def next(self, timeout: float = 30.0) -> dict[str, Any] | None:
        """The next event `{"topic", "payload"}` (backlog first), or None after `timeout`."""
        if self._backlog:
            return self._backlog.popleft()
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            event = self._receive(remaining)
            if event is not None and event.get("topic") not in _CONTROL_TOPICS:
                return event
        return None

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        """One message, None on timeout or a non-JSON frame."""
        from websockets.exceptions import ConnectionClosed

        if self._ws is None:
            raise ServiceError(f"{self.name}: event stream is not open")
        try:
            raw = self._ws.recv(timeout=max(timeout, 0.001))
        except TimeoutError:
            return None
        except ConnectionClosed as err:
            raise ServiceError(f"{self.name} closed its event stream "
                               "(agent stopped?)") from err
        try:
            message = json.loads(raw)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None


def _fits(event: dict[str, Any], topics: tuple[str, ...], match: Match | None) -> bool:
    if event.get("topic") not in topics:
        return False
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return False
    return match is None or bool(match(payload))
