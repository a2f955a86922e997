"""The one client of ACA-Py's admin API: every call of the project goes through here.

It maps HTTP failures to the project's errors once, so services never look at status
codes: 404 -> NotFoundError, refused connection -> ServiceError("agent not running"),
anything else -> ServiceError with ACA-Py's reason on one line, secrets redacted.
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ssi_wallet.errors import NotFoundError, ServiceError

if TYPE_CHECKING:
    from ssi_wallet.agent.events import EventStream
    from ssi_wallet.agent.running import AgentRuntime

class AdminKeyRefused(ServiceError):
    """The agent answered 401: it runs with another API key than ours."""


DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 3.0
_MAX_REASON = 300
# A kept-alive connection the agent closed while idle fails on first use; such a call
# is sent again once, on a fresh connection (nothing reached the agent's handler).
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class AdminClient:
    """Synchronous, keep-alive client for one agent's admin API (x-api-key header).

    Built on the standard library's http.client: the admin API is on loopback, and a
    CLI command that makes two calls should not pay for importing a full HTTP stack.
    Thread-safe: each call borrows an idle connection from a small pool.
    """

    def __init__(self, admin_url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT,
                 name: str = "agent") -> None:
        self.admin_url = admin_url.rstrip("/")
        self.name = name
        self._api_key = api_key
        self._timeout = timeout
        url = urlsplit(self.admin_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ServiceError(f"{name}: admin URL {admin_url!r} is not an http(s) URL")
        self._https = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port or (443 if self._https else 80)
        self._prefix = url.path.rstrip("/")
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    @classmethod
    def from_runtime(cls, runtime: AgentRuntime, *, timeout: float = DEFAULT_TIMEOUT
                     ) -> AdminClient:
        return cls(runtime.admin_url, runtime.api_key, timeout=timeout,
                   name=runtime.name or "agent")

    def __repr__(self) -> str:
        return f"AdminClient({self.admin_url!r})"

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def events(self, **kwargs: Any) -> EventStream:
        """An event stream of the same agent (not yet open: use it as a context manager)."""
        from ssi_wallet.agent.events import EventStream

        return EventStream(self.admin_url, self._api_key, name=self.name, **kwargs)

    # ------------------------------------------------------------------ verbs

    def get(self, path: str, *, params: dict[str, Any] | None = None,
            timeout: float | None = None) -> Any:
        return self.request("GET", path, params=params, timeout=timeout)

    def post(self, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
             timeout: float | None = None) -> Any:
        return self.request("POST", path, params=params, json=json, timeout=timeout)

    def put(self, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
            timeout: float | None = None) -> Any:
        return self.request("PUT", path, params=params, json=json, timeout=timeout)

    def patch(self, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
              timeout: float | None = None) -> Any:
        return self.request("PATCH", path, params=params, json=json, timeout=timeout)

    def delete(self, path: str, *, params: dict[str, Any] | None = None,
               timeout: float | None = None) -> Any:
        return self.request("DELETE", path, params=params, timeout=timeout)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, timeout: float | None = None) -> Any:
        """One call; the decoded JSON body (text if not JSON, None if empty)."""
        if not path.startswith("/"):
            path = "/" + path
        target = self._prefix + path
        query = _clean_params(params)
        if query:
            target += "?" + urlencode(query, doseq=True)
        headers = {"x-api-key": self._api_key, "Accept": "application/json"}
        body: bytes | None = None
        if json is not None:
            body = _json_bytes(json)
            headers["Content-Type"] = "application/json"
        what = f"{method} {path}"
        status, reason, data = self._send(method, target, body, headers,
                                          self._timeout if timeout is None else timeout, what)
        return self._decode(status, reason, data, what)

    def _send(self, method: str, target: str, body: bytes | None, headers: dict[str, str],
              timeout: float, what: str) -> tuple[int, str, bytes]:
        """Send on a pooled connection; one retry when a kept-alive one went stale."""
        for attempt in (1, 2):
            conn, reused = self._borrow()
            if conn.sock is None:
                self._connect(conn)
            try:
                conn.sock.settimeout(timeout)
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except _STALE as err:
                conn.close()
                if reused and attempt == 1:
                    continue
                # A live agent never drops a fresh connection unanswered: what accepted
                # it was a dying agent's socket.
                raise ServiceError(
                    f"{self.name} not running (admin API at {self.admin_url} closed the "
                    f"connection during {what})",
                    hint="start it with: ssi-wallet agent start") from err
            except TimeoutError as err:
                conn.close()
                raise ServiceError(f"{self.name} did not answer {what} in time") from err
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                raise ServiceError(f"{self.name}: {what} failed ({type(err).__name__})"
                                   ) from err
            if response.will_close:
                conn.close()
            else:
                self._give_back(conn)
            return response.status, response.reason or "", data
        raise AssertionError("unreachable")  # the loop returns or raises

    def _connect(self, conn: http.client.HTTPConnection) -> None:
        """Open a new connection; any failure here means nothing listens (a dead agent's
        port refuses, or resets a half-open connect)."""
        try:
            conn.connect()
        except OSError as err:
            conn.close()
            raise ServiceError(
                f"{self.name} not running (admin API at {self.admin_url} refused the "
                f"connection: {type(err).__name__})",
                hint="start it with: ssi-wallet agent start") from err

    def _borrow(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=CONNECT_TIMEOUT,
                                               context=_tls_context()), False
        return http.client.HTTPConnection(self._host, self._port,
                                          timeout=CONNECT_TIMEOUT), False

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append(conn)

    # ------------------------------------------------------------------ helpers

    def _decode(self, status: int, reason: str, data: bytes, what: str) -> Any:
        if 200 <= status < 300:
            if not data:
                return None
            text = data.decode("utf-8", errors="replace")
            try:
                return json.loads(text)
            except ValueError:
                return text
        message = self._reason(status, reason, data)
        error: ServiceError | NotFoundError
        if status == 404:
            error = NotFoundError(f"{self.name}: {message or 'not found'} ({what})")
        elif status == 401:
            error = AdminKeyRefused(f"{self.name} refused the admin API key ({what}); "
                                    "was the agent restarted by another program?")
        else:
            error = ServiceError(f"{self.name}: {what} failed: HTTP {status}"
                                 + (f": {message}" if message else ""))
        error.http_status, error.http_reason = status, message
        raise error

    def _reason(self, status: int, reason_phrase: str, data: bytes) -> str:
        """ACA-Py's reason on one line: aiohttp's "404: reason" text or a JSON body."""
        text = data.decode("utf-8", errors="replace").strip()
        if text.startswith("{") or text.startswith("["):
            try:
                doc = json.loads(text)
            except ValueError:
                pass
            else:
                if isinstance(doc, dict) and isinstance(doc.get("reason"), str):
                    text = doc["reason"]
                else:
                    text = json.dumps(doc, separators=(",", ":"), sort_keys=True)
        prefix = f"{status}: "
        if text.startswith(prefix):
            text = text[len(prefix):]
        if not text:
            text = reason_phrase
        text = " ".join(text.split())
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return text[:_MAX_REASON]


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


_TLS_CONTEXT: Any = None


def _tls_context() -> Any:
    """One TLS context for every client of the process (https admin URLs): loading the
    CA bundle costs tens of ms of CPU, and the agent plugin, `verifier serve` and the
    CLI make a client per job, request or command."""
    global _TLS_CONTEXT
    if _TLS_CONTEXT is None:
        import ssl

        _TLS_CONTEXT = ssl.create_default_context()
    return _TLS_CONTEXT


def _clean_params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop None values; booleans as ACA-Py expects them ("true"/"false")."""
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out
