"""Run iterations at a concurrency level and summarise them.

`iteration(worker, index)` does one full iteration and returns its phase durations
(`issuance_s`, `proof_s`). `concurrency` worker threads take iteration numbers from a
shared counter until `iterations` were started; wall time and CPU are measured around
the whole level.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from bench.common import CpuMeter, load_average, summary_ms

Iteration = Callable[[int, int], dict[str, float]]


def run_level(
    iteration: Iteration,
    *,
    iterations: int,
    concurrency: int,
    pids: dict[str, int],
    label: str,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    counter = iter(range(iterations))
    lock = threading.Lock()
    results: list[dict[str, float]] = []
    errors: list[str] = []

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
                    errors.append(f"{type(error).__name__}: {error}"[:300])
                    if len(errors) == 1:
                        traceback.print_exc()
                continue
            with lock:
                results.append(result)

    meter = CpuMeter(pids, include_self="controller")
    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(concurrency)]
    load_before = load_average()
    meter.start()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = meter.stop()
    done = len(results)
    out = {
        "label": label,
        "concurrency": concurrency,
        "iterations": done,
        "errors": len(errors),
        "error_samples": errors[:3],
        "wall_s": round(wall, 2),
        "iterations_per_min": round(done / wall * 60, 1) if wall and done else 0.0,
        "issuance": summary_ms(r["issuance_s"] for r in results),
        "proof": summary_ms(r["proof_s"] for r in results),
        "cpu_s_per_iteration": {k: round(v / done, 4) if done else None for k, v in cpu.items()},
        "cpu_s_per_iteration_total": round(sum(cpu.values()) / done, 4) if done else None,
        "load_average_before": load_before,
    }
    log(
        f"  {label} c={concurrency}: {done} it, {out['iterations_per_min']}/min, "
        f"issuance p50 {out['issuance'].get('p50_ms')} ms, proof p50 "
        f"{out['proof'].get('p50_ms')} ms, cpu/it {out['cpu_s_per_iteration_total']} s"
        + (f", {len(errors)} errors" if errors else "")
    )
    return out
