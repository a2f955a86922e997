"""Supervising the ledger process by PID: is it ours, is it alive, stop it.

A pid file can outlive its process and the PID can be reused, so "running" means alive
*and* a ledger server for this data directory.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def is_our_server(pid: int, root: Path) -> bool:
    """True when ``pid`` is alive and is a ledger server (guards against PID reuse)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    if pid == os.getpid():
        return True
    args = [a.decode(errors="replace") for a in cmdline]
    if "ssi_wallet.ledger" in args:  # a background server: is it this data directory's?
        return str(root) in args
    # a foreground run through the CLI
    return any(a.endswith("ssi-wallet") or a == "ssi_wallet" for a in args) and "ledger" in args


def terminate(pid: int, timeout: float) -> bool:
    """SIGTERM, wait up to ``timeout``, then SIGKILL. Returns True if it had to kill."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return False
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    while alive(pid):
        time.sleep(0.02)
    return True


def alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie that is not our child counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return True


def log_tail(path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
