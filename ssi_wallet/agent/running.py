"""Which agent runs on a wallet or agency root: its runtime file and /proc, nothing else.

Every command asks this before talking to an agent, so it stays cheap to import (no
subprocess, sockets or agent specs: those are `process`, loaded only to start or stop).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def run_dir(root: Path) -> Path:
    """Runtime files of the agent living in `root` (pid, runtime, log, lock)."""
    return Path(root) / "run"


def runtime_path(root: Path) -> Path:
    return run_dir(root) / "agent.json"


def pid_path(root: Path) -> Path:
    return run_dir(root) / "agent.pid"


def log_path(root: Path) -> Path:
    return run_dir(root) / "agent.log"


def lock_path(root: Path) -> Path:
    return run_dir(root) / "agent.lock"


@dataclass(frozen=True)
class AgentRuntime:
    """A running agent as recorded in `run/agent.json` (0600: it holds the API key)."""

    pid: int
    admin_url: str
    api_key: str = field(repr=False)  # SECRET
    inbound_url: str = ""
    endpoint: str = ""
    started_at: str = ""
    root: Path = Path(".")
    log_path: Path = Path(".")
    name: str = ""
    label: str = ""
    start_ticks: int | None = None  # /proc/<pid>/stat starttime, defeats PID reuse

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["root"] = str(self.root)
        doc["log_path"] = str(self.log_path)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> AgentRuntime:
        known = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
        known["root"] = Path(known.get("root", "."))
        known["log_path"] = Path(known.get("log_path", "."))
        return cls(**known)


def status(root: Path) -> AgentRuntime | None:
    """The running agent of `root`, or None; stale runtime and pid files are removed.

    Cheap (a few /proc reads, no HTTP): every CLI command may call it.
    """
    root = Path(root)
    runtime = read_runtime(root)
    if runtime is not None:
        if is_agent(runtime.pid, runtime.start_ticks):
            return runtime
        remove_stale(root, runtime.pid)
        return None
    pid_info = read_pid(root)
    if pid_info is not None and not is_agent(*pid_info):
        # Left by an agent that died, or by a starter that crashed; a live process
        # without runtime file is a start in progress (or an orphan `start` cleans up).
        remove_stale(root, pid_info[0])
    return None


def remove_stale(root: Path, pid: int) -> None:
    """Remove runtime and pid files naming `pid` (not those a concurrent start just wrote)."""
    runtime = read_runtime(root)
    pid_info = read_pid(root)
    if (runtime is None or runtime.pid == pid) and (pid_info is None or pid_info[0] == pid):
        remove_files(root)


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from field 3 (state) on, or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2:].decode().split()


def start_ticks(pid: int) -> int | None:
    fields = stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def alive(pid: int, ticks: int | None) -> bool:
    fields = stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X", "x"):
        return False
    return ticks is None or int(fields[19]) == ticks


def is_agent(pid: int, ticks: int | None) -> bool:
    """Is `pid` still the ACA-Py process we started (not a reused PID)?"""
    if pid <= 1 or not alive(pid, ticks):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"aries_cloudagent" in cmdline and b"start" in cmdline


def read_runtime(root: Path) -> AgentRuntime | None:
    try:
        return AgentRuntime.from_json(json.loads(runtime_path(root).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def read_pid(root: Path) -> tuple[int, int | None] | None:
    try:
        doc = json.loads(pid_path(root).read_text())
        return int(doc["pid"]), doc.get("start_ticks")
    except (OSError, ValueError, TypeError, KeyError):
        return None


def remove_files(root: Path) -> None:
    for path in (runtime_path(root), pid_path(root)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
