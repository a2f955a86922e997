"""Run iterations at a concurrency level and summarise them.

`iteration(worker, index)` does one full iteration and returns its phase durations
(`issuance_s`, `proof_s`). `concurrency` worker threads take iteration numbers from a
shared counter until `iterations` were started; wall time and CPU are measured around
each chunk of a level, and a level is summarised over its chunks (so two sides can take
turns chunk by chunk).
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import CpuMeter, load_average, stolen_seconds, summary_ms

Iteration = Callable[[int, int], dict[str, float]]


@dataclass
class Chunk:
    """What one run of iterations at one concurrency produced, before summarising."""

    results: list[dict[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    load_before: Any = None
    stolen_s: float | None = None


def run_chunk(iteration: Iteration, *, iterations: int, concurrency: int,
              pids: dict[str, int]) -> Chunk:
    """`iterations` iterations on `concurrency` worker threads, timed and metered."""
    counter = iter(range(iterations))
    lock = threading.Lock()
    chunk = Chunk()

    def worker(w: int) -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                result = iteration(w, i)
            except Exception as error:  # noqa: BLE001 - counted, level continues
                with lock:
                    chunk.errors.append(f"{type(error).__name__}: {error}"[:300])
                    if len(chunk.errors) == 1:
                        traceback.print_exc()
                continue
            with lock:
                chunk.results.append(result)

    meter = CpuMeter(pids, include_self="controller")
    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(concurrency)]
    chunk.load_before = load_average()
    stolen = stolen_seconds()
    meter.start()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    chunk.wall_s = time.perf_counter() - t0
    chunk.cpu = meter.stop()
    after = stolen_seconds()
    if stolen is not None and after is not None:
        chunk.stolen_s = after - stolen
    return chunk


def summarise(label: str, concurrency: int, chunks: list[Chunk],
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """One level's figures over its chunks (iterations per minute over their summed
    wall time, percentiles over all iterations, CPU summed)."""
    results = [r for c in chunks for r in c.results]
    errors = [e for c in chunks for e in c.errors]
    wall = sum(c.wall_s for c in chunks)
    cpu: dict[str, float] = {}
    for c in chunks:
        for name, used in c.cpu.items():
            cpu[name] = cpu.get(name, 0.0) + used
    done = len(results)
    stolen = [c.stolen_s for c in chunks if c.stolen_s is not None]
    out = {
        "label": label,
        "concurrency": concurrency,
        "iterations": done,
        "chunks": len(chunks),
        "errors": len(errors),
        "error_samples": errors[:3],
        "wall_s": round(wall, 2),
        "iterations_per_min": round(done / wall * 60, 1) if wall and done else 0.0,
        "issuance": summary_ms((r["issuance_s"] for r in results), keep_samples=True),
        "proof": summary_ms((r["proof_s"] for r in results), keep_samples=True),
        "cpu_s_per_iteration": {k: round(v / done, 4) if done else None for k, v in cpu.items()},
        "cpu_s_per_iteration_total": round(sum(cpu.values()) / done, 4) if done else None,
        "load_average_before": chunks[0].load_before if chunks else None,
        # Each turn's own rate, so two sides' turns can be compared pair by pair.
        "per_turn_per_min": [round(len(c.results) / c.wall_s * 60, 1) if c.wall_s else 0.0
                             for c in chunks],
        # Share of the machine's CPU time the hypervisor gave to other guests.
        "stolen_pct": round(100 * sum(stolen) / (wall * (os.cpu_count() or 1)), 1)
        if stolen and wall else None,
    }
    log(
        f"  {label} c={concurrency}: {done} it, {out['iterations_per_min']}/min, "
        f"issuance p50 {out['issuance'].get('p50_ms')} ms, proof p50 "
        f"{out['proof'].get('p50_ms')} ms, cpu/it {out['cpu_s_per_iteration_total']} s, "
        f"stolen {out['stolen_pct']} %"
        + (f", {len(errors)} errors" if errors else "")
    )
    return out


def run_level(
    iteration: Iteration,
    *,
    iterations: int,
    concurrency: int,
    pids: dict[str, int],
    label: str,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """One level in one go (warm-ups, the soak)."""
    chunk = run_chunk(iteration, iterations=iterations, concurrency=concurrency, pids=pids)
    return summarise(label, concurrency, [chunk], log)
