"""The one client of ACA-Py's admin API: every call of the project goes through here.

It maps HTTP failures to the project's errors once, so services never look at status
codes: 404 -> NotFoundError, refused connection -> ServiceError("agent not running"),
anything else -> ServiceError with ACA-Py's reason on one line, secrets redacted.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ssi_wallet.errors import NotFoundError, ServiceError

if TYPE_CHECKING:
    import httpx

    from ssi_wallet.agent.events import EventStream
    from ssi_wallet.agent.process import AgentRuntime

DEFAULT_TIMEOUT = 30.0
_MAX_REASON = 300


class AdminClient:
    """Synchronous, keep-alive client for one agent's admin API (x-api-key header)."""

    def __init__(self, admin_url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT,
                 name: str = "agent") -> None:
        import httpx

        self.admin_url = admin_url.rstrip("/")
        self.name = name
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=self.admin_url,
            headers={"x-api-key": api_key},
            timeout=httpx.Timeout(timeout, connect=3.0),
            trust_env=False,  # loopback: never through a proxy
            verify=_tls_context(),
        )

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
        self._http.close()

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
        import httpx

        if not path.startswith("/"):
            path = "/" + path
        params = _clean_params(params)
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=3.0)
        what = f"{method} {path}"
        try:
            response = self._http.request(method, path, params=params, json=json, **extra)
        except httpx.ConnectError as err:
            raise ServiceError(
                f"{self.name} not running (admin API at {self.admin_url} refused the "
                "connection)", hint="start it with: ssi-wallet agent start") from err
        except httpx.TimeoutException as err:
            raise ServiceError(f"{self.name} did not answer {what} in time") from err
        except httpx.TransportError as err:
            raise ServiceError(f"{self.name}: {what} failed ({type(err).__name__})") from err
        return self._decode(response, what)

    # ------------------------------------------------------------------ helpers

    def _decode(self, response: httpx.Response, what: str) -> Any:
        if response.is_success:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                return response.text
        reason = self._reason(response)
        status = response.status_code
        if status == 404:
            raise NotFoundError(f"{self.name}: {reason or 'not found'} ({what})")
        if status == 401:
            raise ServiceError(f"{self.name} refused the admin API key ({what}); "
                               "was the agent restarted by another program?")
        raise ServiceError(f"{self.name}: {what} failed: HTTP {status}"
                           + (f": {reason}" if reason else ""))

    def _reason(self, response: httpx.Response) -> str:
        """ACA-Py's reason on one line: aiohttp's "404: reason" text or a JSON body."""
        text = response.text.strip()
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
        prefix = f"{response.status_code}: "
        if text.startswith(prefix):
            text = text[len(prefix):]
        if not text:
            text = response.reason_phrase or ""
        text = " ".join(text.split())
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return text[:_MAX_REASON]


_TLS_CONTEXT: Any = None


def _tls_context() -> Any:
    """One TLS context for every client of the process. httpx builds a new one per
    client otherwise, loading the CA bundle each time (tens of ms of CPU): the agent
    plugin, `verifier serve` and the CLI make a client per job, request or command."""
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
