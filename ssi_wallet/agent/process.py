"""Start, supervise and stop one detached ACA-Py process per agent root.

The agent outlives the CLI (its own session) and is found again by PID. A PID alone is
not trusted: the kernel's start time of the process and its command line must match
what we recorded, so a reused PID is never signalled.

Secrets (wallet key, seed, admin API key, storage password) go to ACA-Py through
`--arg-file /dev/fd/N`, a pipe that is written and closed before the process starts:
they never appear in argv, the environment, the log or a file in clear. The admin API
key is the one exception the design allows on disk: in `run/agent.json`, mode 0600.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssi_wallet.agent.running import (  # noqa: F401 - status is part of this API
    AgentRuntime,
    alive,
    is_agent,
    lock_path,
    log_path,
    pid_path,
    read_pid,
    read_runtime,
    remove_files,
    run_dir,
    runtime_path,
    start_ticks,
    status,
)
from ssi_wallet.agent.spec import AgentSpec, PostgresStorage
from ssi_wallet.errors import AlreadyRunningError, ServiceError
from ssi_wallet.files import (
    SECRET_FILE_MODE,
    private_dir,
    read_json,
    rotate_log,
    write_json,
)

#: Attempts when a free port we picked is taken before ACA-Py binds it.
PORT_ATTEMPTS = 4
#: Environment variables the agent inherits; everything else (SSI_WALLET_PASSPHRASE,
#: ACAPY_* settings, proxies) stays out of its /proc/<pid>/environ. PYTHONPATH lets an
#: ACA-Py plugin (`--plugin`) from an uninstalled checkout be found.
_ENV_ALLOW = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
              "SSL_CERT_FILE", "SSL_CERT_DIR", "PYTHONPATH")
#: Log lines after which ACA-Py is known to hang instead of exiting.
_FATAL_MARKERS = ("Exception during startup", "Unable to start webserver")
_POLL = 0.1
_PROC_NET = Path("/proc/net/tcp").exists()

# Popen objects of agents this process started: kept so they are reaped (no zombies, no
# ResourceWarning) when stopped from the same process, e.g. in tests.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def acapy_command() -> list[str]:
    """How to run ACA-Py: the module from this interpreter's environment."""
    return [sys.executable, "-m", "aries_cloudagent"]


# ---------------------------------------------------------------- public operations


def start(spec: AgentSpec, *, timeout: float = 60) -> AgentRuntime:
    """Start the agent and wait until its admin API answers with our key.

    Raises AlreadyRunningError when an agent already runs on `spec.root`, ServiceError
    (one line, from the agent's log) when it exits, hangs or is not ready in `timeout`.
    """
    with _locked(spec.root):
        running = status(spec.root)
        if running is not None:
            raise AlreadyRunningError(
                f"agent {spec.name} is already running (pid {running.pid}, "
                f"admin {running.admin_url})"
            )
        return _start_locked(spec, timeout)


def ensure_running(spec: AgentSpec, *, timeout: float = 60) -> tuple[AgentRuntime, bool]:
    """The running agent, starting it if needed: `(runtime, started_now)`."""
    with _locked(spec.root):
        running = status(spec.root)
        if running is not None:
            return running, False
        return _start_locked(spec, timeout), True


def stop(root: Path, *, grace: float = 5.0) -> bool:
    """Stop the agent of `root`: SIGTERM, wait `grace` s, then SIGKILL. False if none ran."""
    with _locked(root):
        return _stop_locked(Path(root), grace)


# ---------------------------------------------------------------- start


def _start_locked(spec: AgentSpec, timeout: float) -> AgentRuntime:
    root = spec.root.resolve()
    private_dir(root)
    private_dir(run_dir(root))
    orphan = read_pid(root)
    if orphan is not None and is_agent(*orphan):
        # Alive but never recorded as ready: its starter died. We hold the lock, so no
        # other start is in progress; it is ours to end.
        _terminate(orphan[0], grace=2.0)
    remove_files(root)
    rotate_log(log_path(root))

    deadline = time.monotonic() + timeout
    last_error: ServiceError | None = None
    for _ in range(PORT_ATTEMPTS):
        try:
            return _launch_once(spec, root, deadline)
        except _PortTaken as err:
            last_error = ServiceError(f"agent {spec.name}: {err}")
            if err.port in (spec.admin_port, spec.inbound_port):
                break  # a port the spec fixes: retrying changes nothing
    assert last_error is not None
    raise last_error


class _PortTaken(Exception):
    """A port of the agent was bound by someone else before ACA-Py could."""

    def __init__(self, port: int) -> None:
        super().__init__(f"port {port} is in use by another program")
        self.port = port


def _launch_once(spec: AgentSpec, root: Path, deadline: float) -> AgentRuntime:
    admin_port, inbound_port = _choose_ports(spec)
    api_key = secrets.token_hex(32)  # hex: never starts with '-'
    endpoint = spec.endpoint or f"http://{_url_host(spec.inbound_host)}:{inbound_port}"
    argv, secret_settings = build_arguments(spec, admin_port, inbound_port, endpoint)
    secret_settings["admin-api-key"] = api_key
    log_file = log_path(root)
    log_offset = log_file.stat().st_size if log_file.exists() else 0

    proc = _spawn(spec, root, argv, secret_settings, log_file)
    ticks = start_ticks(proc.pid)
    write_json(pid_path(root), {"pid": proc.pid, "start_ticks": ticks}, secret=True)
    admin_url = f"http://{_url_host(spec.admin_host)}:{admin_port}"
    redact = (*spec.secrets(), api_key)
    try:
        _wait_ready(proc, admin_url, api_key,
                    ((spec.admin_host, admin_port), (spec.inbound_host, inbound_port)), log_file,
                    log_offset, deadline, spec, redact)
    except BaseException:
        # ACA-Py tends to hang after a failed start-up rather than exit: short grace.
        _terminate(proc.pid, grace=1.0)
        remove_files(root)
        raise
    runtime = AgentRuntime(
        pid=proc.pid,
        admin_url=admin_url,
        api_key=api_key,
        inbound_url=f"http://{_url_host(spec.inbound_host)}:{inbound_port}",
        endpoint=endpoint,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        root=root,
        log_path=log_file,
        name=spec.name,
        label=spec.label,
        start_ticks=ticks,
    )
    try:
        write_json(runtime_path(root), runtime.to_json(), secret=True)
        write_json(_ports_path(root), {"admin": admin_port, "inbound": inbound_port})
    except BaseException:
        _terminate(proc.pid, grace=2.0)
        remove_files(root)
        raise
    return runtime


def build_arguments(spec: AgentSpec, admin_port: int, inbound_port: int,
                    endpoint: str) -> tuple[list[str], dict[str, Any]]:
    """ACA-Py's argv (no secrets) and the secret settings for its argument file."""
    args = [
        "--label", spec.label,
        "--wallet-type", "askar",
        "--wallet-name", spec.wallet_name,
        "--wallet-key-derivation-method", spec.wallet_key_method,
        "--auto-provision",
        "--admin", spec.admin_host, str(admin_port),
        "--inbound-transport", "http", spec.inbound_host, str(inbound_port),
        "--outbound-transport", "http",
        "--endpoint", endpoint,
        "--preserve-exchange-records",
        "--log-level", spec.log_level,
    ]
    if spec.genesis_file is None:
        args.append("--no-ledger")
    else:
        args += ["--genesis-file", str(spec.genesis_file.resolve())]
    for url in spec.webhook_urls:
        if "#" not in url:  # a URL with #KEY carries ACA-Py's x-api-key: a secret (below)
            args += ["--webhook-url", url]
    if spec.tails_server_base_url:
        args += ["--tails-server-base-url", spec.tails_server_base_url]
    if spec.tails_server_upload_url:
        args += ["--tails-server-upload-url", spec.tails_server_upload_url]
    secret_settings: dict[str, Any] = {"wallet-key": spec.wallet_key}
    if spec.seed:
        secret_settings["seed"] = spec.seed
    keyed_webhooks = [url for url in spec.webhook_urls if "#" in url]
    if keyed_webhooks:
        secret_settings["webhook-url"] = keyed_webhooks  # a YAML list: one --webhook-url each
    if isinstance(spec.storage, PostgresStorage):
        pg = spec.storage
        config: dict[str, Any] = {"url": pg.url}
        if pg.max_connections:
            config["max_connections"] = pg.max_connections
        creds = {"account": pg.account, "password": pg.password}
        if pg.admin_account:
            creds["admin_account"] = pg.admin_account
        if pg.admin_password:
            creds["admin_password"] = pg.admin_password
        args += ["--wallet-storage-type", "postgres_storage",
                 "--wallet-storage-config", json.dumps(config)]
        secret_settings["wallet-storage-creds"] = json.dumps(creds)
    args += list(spec.flags)
    return args, secret_settings


def _spawn(spec: AgentSpec, root: Path, argv: list[str], secret_settings: dict[str, Any],
           log_file: Path) -> subprocess.Popen[bytes]:
    # YAML with JSON-quoted scalars: configargparse would otherwise turn a hex key
    # such as "1e5..." into a float.
    payload = "".join(f"{k}: {json.dumps(v)}\n" for k, v in secret_settings.items()).encode()
    read_fd, write_fd = os.pipe()
    try:
        if len(payload) >= 65536:  # the pipe must hold it all: we close before spawning
            raise ServiceError(f"agent {spec.name}: secret settings too large")
        os.write(write_fd, payload)
        os.close(write_fd)
        write_fd = -1
        env = {k: v for k, v in os.environ.items() if k in _ENV_ALLOW}
        env.update({"ACAPY_HOME": str(root), "PYTHONUNBUFFERED": "1"})
        if sys.version_info < (3, 12):
            # ACA-Py's apispec imports distutils; setuptools' shim for it would import
            # setuptools and pkg_resources (~0.3 s of CPU per agent start)
            env["SETUPTOOLS_USE_DISTUTILS"] = "stdlib"
        log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, SECRET_FILE_MODE)
        try:
            os.write(log_fd, f"---- ssi-wallet: starting agent {spec.name} at "
                             f"{datetime.now(UTC).isoformat(timespec='seconds')}\n".encode())
            proc = subprocess.Popen(
                [*acapy_command(), "start", "--arg-file", f"/dev/fd/{read_fd}", *argv],
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=subprocess.STDOUT,
                pass_fds=(read_fd,),
                env=env,
                cwd=root,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as err:
            raise ServiceError(f"agent {spec.name}: cannot run ACA-Py ({err.strerror})") from err
        finally:
            os.close(log_fd)
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
    _CHILDREN[proc.pid] = proc
    return proc


def _wait_ready(proc: subprocess.Popen[bytes], admin_url: str, api_key: str,
                ports: tuple[tuple[str, int], ...], log_file: Path, log_offset: int,
                deadline: float, spec: AgentSpec, redact: tuple[str, ...]) -> None:
    from ssi_wallet.agent.admin import AdminClient, AdminKeyRefused

    def failure(why: str) -> ServiceError:
        line = _log_summary(log_file, log_offset, redact)
        detail = f": {line}" if line else ""
        return ServiceError(f"agent {spec.name} {why}{detail}",
                            hint=f"see {log_file}")

    with AdminClient(admin_url, api_key, timeout=2.0, name=spec.name) as admin:
        while True:
            rc = proc.poll()
            if rc is not None:
                raise failure(f"exited with status {rc} during start-up")
            taken = _foreign_listener(proc.pid, ports)
            if taken is not None:
                raise _PortTaken(taken)
            text = _log_since(log_file, log_offset)
            if any(marker in text for marker in _FATAL_MARKERS):
                raise failure("failed to start")
            if _listens(proc.pid, ports[0][1]):
                try:
                    ready = admin.get("/status/ready")
                    if isinstance(ready, dict) and ready.get("ready"):
                        admin.get("/status")  # the probe is public; this one needs our key
                        return
                except AdminKeyRefused as err:
                    raise failure("refused its API key (HTTP 401)") from err
                except ServiceError:
                    pass  # not answering yet
            if time.monotonic() > deadline:
                raise failure("was not ready in time")
            time.sleep(_POLL)


def _choose_ports(spec: AgentSpec) -> tuple[int, int]:
    """Ports for what the spec leaves open: the ones this agent had last time when they
    are still free (its DIDComm endpoint is in every connection peers keep, so it must
    survive a restart), else free ones (all chosen while all are held)."""
    remembered = _remembered_ports(spec.root)
    held: list[socket.socket] = []
    try:
        chosen = []
        for slot, host, port in (("admin", spec.admin_host, spec.admin_port),
                                 ("inbound", spec.inbound_host, spec.inbound_port)):
            if port is None:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                sock = socket.socket(family, socket.SOCK_STREAM)
                # As ACA-Py's server does: our old connections in TIME_WAIT must not
                # block the port, while a live listener on it still does (Linux).
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind((host, remembered.get(slot, 0)))
                except OSError:
                    sock.bind((host, 0))
                held.append(sock)
                port = sock.getsockname()[1]
            chosen.append(port)
        return chosen[0], chosen[1]
    finally:
        for sock in held:
            sock.close()


def _ports_path(root: Path) -> Path:
    return root / "ports.json"


def _remembered_ports(root: Path) -> dict[str, int]:
    try:
        doc = read_json(_ports_path(root))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in doc.items() if k in ("admin", "inbound") and isinstance(v, int)}


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


# ---------------------------------------------------------------- stop


def _stop_locked(root: Path, grace: float) -> bool:
    runtime = read_runtime(root)
    target = (runtime.pid, runtime.start_ticks) if runtime else read_pid(root)
    stopped = False
    if target is not None and is_agent(*target):
        _terminate(target[0], grace=grace)
        stopped = True
    remove_files(root)
    return stopped


def _terminate(pid: int, *, grace: float) -> None:
    """SIGTERM the agent's process group, then SIGKILL it if still alive after `grace`."""
    ticks = start_ticks(pid)
    _signal(pid, signal.SIGTERM)
    if not _wait_gone(pid, ticks, grace):
        _signal(pid, signal.SIGKILL)
        if not _wait_gone(pid, ticks, 10.0):
            raise ServiceError(f"agent process {pid} does not die even after SIGKILL")


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:  # its own session (start_new_session): the group
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_gone(pid: int, ticks: int | None, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while True:
        _reap(pid)
        if not alive(pid, ticks):
            _reap(pid)  # a zombie child of ours: collect it now
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.05)


def _reap(pid: int) -> None:
    proc = _CHILDREN.get(pid)
    if proc is not None:
        if proc.poll() is not None:
            del _CHILDREN[pid]
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


# ---------------------------------------------------------------- /proc


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def _listening_inodes(port: int, host: str | None = None) -> set[str]:
    """Inodes of TCP sockets listening on `port` in our network namespace.

    With `host`, only sockets whose address would clash with binding `host` (the same
    address, or a wildcard on either side).
    """
    wanted = _ip(host) if host is not None else None
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if len(cols) <= 9 or cols[3] != "0A":
                    continue
                addr_hex, port_hex = cols[1].rsplit(":", 1)
                if int(port_hex, 16) != port:
                    continue
                if wanted is not None and not _clashes(_proc_ip(addr_hex), wanted):
                    continue
                found.add(cols[9])
    return found


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            return ipaddress.ip_address(socket.getaddrinfo(host, None)[0][4][0])
        except (OSError, ValueError, IndexError):
            return None


def _proc_ip(addr_hex: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as /proc/net/tcp{,6} prints it (32-bit words in host byte order)."""
    raw = bytes.fromhex(addr_hex)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)) \
        if sys.byteorder == "little" else raw
    ip = ipaddress.ip_address(words)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _clashes(listener: ipaddress.IPv4Address | ipaddress.IPv6Address,
             wanted: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    if wanted is None or listener.is_unspecified or wanted.is_unspecified:
        return True
    return listener == wanted


def _listens(pid: int, port: int) -> bool:
    if not _PROC_NET:
        return True  # cannot tell without /proc: let the HTTP probe decide
    return bool(_listening_inodes(port) & _socket_inodes(pid))


def _foreign_listener(pid: int, ports: tuple[tuple[str, int], ...]) -> int | None:
    """A port of ours that another process listens on (on a clashing address), or None."""
    mine = None
    for host, port in ports:
        listening = _listening_inodes(port, host)
        if listening:
            mine = _socket_inodes(pid) if mine is None else mine
            if not listening & mine:
                return port
    return None


# ---------------------------------------------------------------- files


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Serialise start/stop of one root across CLI processes (flock, released on exit)."""
    private_dir(run_dir(Path(root)))
    fd = os.open(lock_path(Path(root)), os.O_RDWR | os.O_CREAT, SECRET_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _log_since(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


_NOISE = re.compile(r"^(::|=+$|-+$|Traceback|File \"|\^|The above exception|During handling"
                    r"|Shutting down|---- ssi-wallet:)")
_ERRORISH = re.compile(r"(Error|Exception|error:|Unable|failed|denied)", re.IGNORECASE)


def _log_summary(path: Path, offset: int, redact: tuple[str, ...]) -> str:
    """The last meaningful line ACA-Py wrote since `offset`, secrets redacted."""
    lines = [ln.strip() for ln in _log_since(path, offset).splitlines()]
    lines = [ln for ln in lines if ln and not _NOISE.match(ln)]
    errorish = [ln for ln in lines if _ERRORISH.search(ln)]
    line = (errorish or lines or [""])[-1]
    for value in redact:
        if value:
            line = line.replace(value, "***")
    return line[:300]


def log_tail(root: Path, lines: int = 50) -> list[str]:
    """The last `lines` lines of the agent's log (for `agent logs`)."""
    text = _log_since(log_path(root), 0)
    return text.splitlines()[-lines:]
