"""Shared helpers of the benchmark: statistics, CPU accounting from /proc, machine info."""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")

# The income statement every benchmark issues (floor, stock and ours alike).
INCOME_VALUES = {
    "month": "202610",
    "net_income_cents": "123400",
    "gross_income_cents": "200000",
    "employer_name": "RideCo",
    "employee_ref": "E-1001",
    "issue_date": "20261101",
    "valid_until": "20271101",
}


def income_check(cred_def_id: str) -> dict[str, Any]:
    """The one-predicate proof request every side is measured with (`net_income_cents <
    150000` from the issuer's definition); nonce and interval are the caller's."""
    return {
        "name": "income-check",
        "version": "1.0",
        "requested_attributes": {},
        "requested_predicates": {
            "income": {
                "name": "net_income_cents",
                "p_type": "<",
                "p_value": 150000,
                "restrictions": [{"cred_def_id": cred_def_id}],
            }
        },
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(seconds: Iterable[float], *, keep_samples: bool = False) -> dict[str, Any]:
    """p50/p95/mean/max in milliseconds of durations given in seconds; with
    `keep_samples`, every duration too (for `median_ratio_interval`)."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    out: dict[str, Any] = {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(pct(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
    }
    if keep_samples:
        out["samples_ms"] = [round(v, 1) for v in ms]
    return out


def median_ratio_interval(a: Sequence[float], b: Sequence[float], *, rounds: int = 2000,
                          seed: int = 9) -> tuple[float, float] | None:
    """The 95 % bootstrap interval of median(a) / median(b), each side resampled on its
    own: how far a p50 ratio could move on another run of the same two code bases
    (a c=1 ratio within a few % of 1.0 says nothing without it). Seeded, so a report
    rewritten from the same results shows the same interval."""
    if len(a) < 2 or len(b) < 2:
        return None
    rng = random.Random(seed)
    ratios = sorted(statistics.median(rng.choices(a, k=len(a)))
                    / statistics.median(rng.choices(b, k=len(b))) for _ in range(rounds))
    return round(pct(ratios, 2.5), 2), round(pct(ratios, 97.5), 2)


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (its threads included, children not), in seconds."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def stolen_seconds() -> float | None:
    """CPU time the hypervisor gave to other guests, all CPUs summed (`steal` in
    /proc/stat). This machine is a VM: when its neighbours are busy, everything here
    runs slower, and this says how much."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    return int(fields[8]) / CLK_TCK if len(fields) > 8 and fields[0] == b"cpu" else None


def self_cpu() -> float:
    t = os.times()
    return t.user + t.system


class CpuMeter:
    """CPU seconds used by named processes between `start()` and `stop()`."""

    def __init__(self, pids: dict[str, int], include_self: str | None = None) -> None:
        self.pids = dict(pids)
        self.include_self = include_self
        self.before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        out = {name: cpu_seconds(pid) or 0.0 for name, pid in self.pids.items()}
        if self.include_self:
            out[self.include_self] = self_cpu()
        return out

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.used = {k: round(after[k] - self.before.get(k, 0.0), 3) for k in after}
        return self.used


@contextmanager
def timer() -> Any:
    box = {"s": 0.0}
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - t0


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in (
        "aries-cloudagent",
        "anoncreds",
        "indy-credx",
        "aries-askar",
        "indy-vdr",
        "httpx",
        "websockets",
        "ssi-wallet",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out
