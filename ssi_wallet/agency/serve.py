"""`verifier serve`: receive the agency agent's webhooks and decide proofs as they end.

ACA-Py posts every event to `<webhook url>/topic/<topic>/`; started with
`--webhook-url http://127.0.0.1:PORT/webhooks#KEY` it sends `x-api-key: KEY`. This server
listens on loopback only and refuses any request without that key. It handles:

- `present_proof_v2_0` in `done` (verified true or false) or `abandoned`: the exchange is
  decided exactly once (`verifier.process_exchange`; a redelivered webhook does nothing);
- `connections` becoming active from a case invitation: linked to the case, and the
  policy's request sent when the policy says `request_on_connect: true`.

On start, and every `settings.catchup_interval_seconds` (default 60), it catches up:
exchanges that ended while it was down are decided, actions a crash left are retried.
Every `settings.recheck_interval_seconds` it re-checks cases with an active brake.

For the agency runtime:

    url = webhook_url(config)              # pass to ACA-Py (--webhook-url); holds the key
    pid = serve_in_background(config)      # returns once it listens
    stop_background(config)                # or stop_pid(pid)
    serve_status(config)                   # {"running", "pid", "port"} (no key)

The port and key live in `<agency dir>/verifier/webhook.json` (0600), made on first use;
`settings.webhook_port` fixes the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssi_wallet.errors import AlreadyRunningError, ServiceError
from ssi_wallet.files import private_dir, rotate_log, write_json

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig

log = logging.getLogger("ssi_wallet.verifier")
HOST = "127.0.0.1"
PATH = "/webhooks"


# ------------------------------------------------------------------ files


def verifier_dir(config: AgencyConfig) -> Path:
    return private_dir(config.root / "verifier")


def _webhook_file(config: AgencyConfig) -> Path:
    return verifier_dir(config) / "webhook.json"


def webhook_settings(config: AgencyConfig) -> tuple[int, str]:
    """(port, key) for the webhook receiver, made once and kept (0600)."""
    path = _webhook_file(config)
    fixed = config.settings.get("webhook_port")
    try:
        doc = json.loads(path.read_text())
        port, key = int(doc["port"]), str(doc["key"])
        if fixed and int(fixed) != port:
            raise ValueError("port changed")
        return port, key
    except (OSError, ValueError, KeyError, TypeError):
        pass
    key = secrets.token_hex(24)   # hex: never starts with '-'
    port = int(fixed) if fixed else _free_port()
    write_json(path, {"port": port, "key": key}, secret=True)
    return port, key


def webhook_url(config: AgencyConfig) -> str:
    """The URL ACA-Py must post webhooks to (`--webhook-url`); it carries the key after
    `#`, so treat it as a secret (ACA-Py sends the part after # as x-api-key)."""
    port, key = webhook_settings(config)
    return f"http://{HOST}:{port}{PATH}#{key}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _pid_file(config: AgencyConfig) -> Path:
    return verifier_dir(config) / "serve.pid"


def log_file(config: AgencyConfig) -> Path:
    return verifier_dir(config) / "serve.log"


# ------------------------------------------------------------------ the server


class Server:
    """The webhook receiver of one agency (one asyncio loop, decisions in one worker
    thread so they run one at a time)."""

    def __init__(self, config: AgencyConfig) -> None:
        self.config = config
        self.port, self._key = webhook_settings(config)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verifier")
        self.tasks: list[asyncio.Task] = []
        self.caught_up = False

    # -- helpers run in the worker thread
    def _client(self):
        from ssi_wallet.agency.verifier import client_for

        return client_for(self.config)

    def _process(self, pres_ex_id: str, record: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
        from ssi_wallet.agency.verifier import process_exchange

        with self._client() as client:
            return process_exchange(self.config, client, pres_ex_id, record=record).to_json()

    def _connection(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        from ssi_wallet.agency.verifier import on_connection

        with self._client() as client:
            return on_connection(self.config, client, payload)

    def _catch_up(self) -> int:
        from ssi_wallet.agency.verifier import catch_up

        with self._client() as client:
            return len(catch_up(self.config, client))

    def _recheck(self, interval: float) -> int:
        from ssi_wallet.agency.verifier import recheck_due

        with self._client() as client:
            return len(recheck_due(self.config, client, interval=interval))

    async def run_in_worker(self, fn, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, fn, *args)

    # -- HTTP
    def app(self):
        from aiohttp import web

        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post(PATH + "/topic/{topic}/", self.webhook)
        app.router.add_post(PATH + "/topic/{topic}", self.webhook)
        app.router.add_get("/health", self.health)
        app.on_startup.append(self._start_background)
        app.on_cleanup.append(self._stop_background)
        return app

    def _authorized(self, request) -> bool:
        given = request.headers.get("x-api-key", "")
        return hmac.compare_digest(given.encode(), self._key.encode())

    async def health(self, request):
        from aiohttp import web

        return web.json_response({"ok": True, "agency": self.config.name,
                                  "caught_up": self.caught_up})

    async def webhook(self, request):
        from aiohttp import web

        if not self._authorized(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        topic = request.match_info["topic"]
        try:
            payload = await request.json()
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "not JSON"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "not a JSON object"}, status=400)
        try:
            if topic == "present_proof_v2_0" and payload.get("state") in ("done", "abandoned") \
                    and payload.get("role", "verifier") == "verifier" \
                    and isinstance(payload.get("pres_ex_id"), str):
                # The agent sends the whole record (--debug-webhooks); a trimmed one
                # (an agent started by an older version) is read back instead.
                full = payload if isinstance(payload.get("by_format"), dict) else None
                result = await self.run_in_worker(self._process, payload["pres_ex_id"], full)
                if result["status"] == "unknown":
                    # sent by a command that has not recorded it yet: look again soon
                    asyncio.get_running_loop().call_later(
                        3, lambda: asyncio.ensure_future(self._catch_up_once()))
                return web.json_response(result)
            if topic == "connections":
                result = await self.run_in_worker(self._connection, payload)
                return web.json_response({"linked": result})
        except Exception as error:  # noqa: BLE001 - ACA-Py retries on 5xx; keep serving
            log.exception("webhook %s failed", topic)
            return web.json_response({"error": f"{type(error).__name__}: {error}"[:300]},
                                     status=500)
        return web.json_response({"ignored": topic})

    # -- timers
    async def _start_background(self, app) -> None:
        self.tasks.append(asyncio.ensure_future(self._catch_up_loop()))
        interval = self.config.settings.get("recheck_interval_seconds")
        if interval:
            self.tasks.append(asyncio.ensure_future(self._recheck_loop(float(interval))))

    async def _stop_background(self, app) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.pool.shutdown(wait=True)

    async def _catch_up_once(self) -> bool:
        try:
            count = await self.run_in_worker(self._catch_up)
        except Exception as error:  # noqa: BLE001 - the agent may not run yet
            log.info("catch-up not possible yet: %s", error)
            return False
        if count:
            log.info("caught up: %s exchange(s) decided", count)
        self.caught_up = True
        return True

    async def _catch_up_loop(self) -> None:
        every = float(self.config.settings.get("catchup_interval_seconds", 60))
        delay = 1.0
        while not await self._catch_up_once():        # until the agent answers
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        while True:
            await asyncio.sleep(every)
            await self._catch_up_once()

    async def _recheck_loop(self, interval: float) -> None:
        tick = max(1.0, min(interval / 4, 60.0))
        while True:
            await asyncio.sleep(tick)
            try:
                sent = await self.run_in_worker(self._recheck, interval)
                if sent:
                    log.info("re-check requests sent: %s", sent)
            except Exception as error:  # noqa: BLE001
                log.warning("re-check round failed: %s", error)


def run_forever(config: AgencyConfig, *, ready: Any = None) -> None:
    """Serve in the foreground until SIGINT/SIGTERM."""
    from aiohttp import web

    server = Server(config)
    app = server.app()

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, server.port, reuse_address=True)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise ServiceError(f"cannot listen on {HOST}:{server.port}: {error.strerror}") \
                from None
        if ready is not None:
            ready(server)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())


# ------------------------------------------------------------------ in the background


def serve_status(config: AgencyConfig) -> dict[str, Any]:
    port, _ = webhook_settings(config)
    pid = _running_pid(config)
    return {"running": pid is not None, "pid": pid, "port": port,
            "log": str(log_file(config))}


def _running_pid(config: AgencyConfig) -> int | None:
    try:
        doc = json.loads(_pid_file(config).read_text())
        pid, ticks = int(doc["pid"]), doc.get("ticks")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if _is_ours(pid, ticks) else None


def _is_ours(pid: int, ticks: str | None) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
        fields = raw[raw.rfind(b")") + 2:].split()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    if fields[0] in (b"Z", b"X"):
        return False
    if ticks is not None and fields[19].decode() != str(ticks):
        return False
    return b"ssi_wallet.agency.serve" in cmdline


def serve_in_background(config: AgencyConfig, *, timeout: float = 20.0) -> int:
    """Start `verifier serve` detached (own session); returns its PID once it listens."""
    import httpx

    running = _running_pid(config)
    if running is not None:
        raise AlreadyRunningError(f"verifier serve of agency {config.name} already runs "
                                  f"(pid {running})")
    port, _ = webhook_settings(config)
    logf = log_file(config)
    rotate_log(logf)
    fd = os.open(logf, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        # Nothing the server does not need: no agent settings, no wallet passphrase.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ACAPY_") and k != "SSI_WALLET_PASSPHRASE"}
        env["PYTHONUNBUFFERED"] = "1"
        proc = subprocess.Popen(
            [sys.executable, "-m", "ssi_wallet.agency.serve", str(config.path)],
            stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True, env=env, cwd=str(config.root))
    finally:
        os.close(fd)
    _CHILDREN[proc.pid] = proc
    ticks = _ticks(proc.pid)
    write_json(_pid_file(config), {"pid": proc.pid, "ticks": ticks, "port": port})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = logf.read_text(errors="replace").strip().splitlines()[-1:] or [""]
            raise ServiceError(f"verifier serve exited during start-up: {tail[0][:300]}",
                               hint=f"see {logf}")
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=1.0,
                         trust_env=False).status_code == 200:
                return proc.pid
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_pid(proc.pid)
    raise ServiceError(f"verifier serve did not listen within {timeout:g} s",
                       hint=f"see {logf}")


_CHILDREN: dict[int, subprocess.Popen] = {}


def _ticks(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
        return raw[raw.rfind(b")") + 2:].split()[19].decode()
    except (OSError, IndexError):
        return None


def stop_pid(pid: int, *, grace: float = 5.0) -> bool:
    """SIGTERM, wait `grace` s, SIGKILL. False when it was not running."""
    ticks = _ticks(pid)
    if ticks is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end:
        child = _CHILDREN.get(pid)
        if child is not None and child.poll() is not None:
            _CHILDREN.pop(pid, None)
            return True
        if _ticks(pid) != ticks:
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(5)
    return True


def stop_background(config: AgencyConfig) -> bool:
    pid = _running_pid(config)
    stopped = stop_pid(pid) if pid is not None else False
    with contextlib.suppress(FileNotFoundError):
        _pid_file(config).unlink()
    return stopped


def main(argv: list[str] | None = None) -> int:
    """`python -m ssi_wallet.agency.serve AGENCY_YAML` (how serve_in_background runs it)."""
    from ssi_wallet.agency.config import load_agency_config

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ssi_wallet.agency.serve AGENCY_YAML", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_agency_config(Path(args[0]))
    try:
        run_forever(config, ready=lambda s: log.info("verifier serve of %s listening on "
                                                      "%s:%s", config.name, HOST, s.port))
    except ServiceError as error:
        log.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
