"""Soak: N full iterations (issue a credential + a 1-predicate proof) through the real CLI
against a real ledger, a project agency and the citizen's wallet; records failures, step
times and the memory (VmRSS) of every long-lived process, and a ledger flood.

    .venv/bin/python scripts/soak.py --iterations 1000 --out soak.json
    .venv/bin/python scripts/soak.py --iterations 0 --ledger-ops 10000   # flood only

The flood: `--ledger-ops` mixed reads and writes (NYM writes by the trustee, GET_NYM,
GET_TXN) through indy-vdr against its own 1-node ledger, `--flood-concurrency` in flight,
bounded by `--flood-seconds`; it then checks the ledger still answers and counts writes.
Figures go to docs/reliability.md by hand (this prints and writes JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hardening.harness import Stack, StepFailed, rss_kib  # noqa: E402


def soak(iterations: int, sample_every: int, max_seconds: float | None = None) -> dict:
    stack = Stack().start()
    failures: list[str] = []
    times: dict[str, list[float]] = {"issue": [], "proof": []}
    memory: dict[str, list[tuple[int, int]]] = {}

    def sample(i: int) -> None:
        for name, pid in stack.pids().items():
            rss = rss_kib(pid)
            if rss is not None:
                memory.setdefault(name, []).append((i, rss))

    started = time.monotonic()
    try:
        sample(0)
        done = 0
        for i in range(1, iterations + 1):
            if max_seconds and time.monotonic() - started > max_seconds:
                print(f"stopping after {i - 1} iterations: --max-seconds reached", flush=True)
                break
            done = i
            try:
                for step, seconds in stack.iteration(i).items():
                    times[step].append(seconds)
            except (StepFailed, Exception) as error:  # noqa: BLE001 - counted, run goes on
                failures.append(f"{i}: {type(error).__name__}: {str(error)[:200]}")
            if i % sample_every == 0 or i == iterations:
                sample(i)
                print(
                    f"{i}/{iterations} done, {len(failures)} failed, "
                    f"{time.monotonic() - started:.0f} s",
                    flush=True,
                )
        last = memory.get("holder agent", [(0, 0)])[-1][0]
        if done and last != done:
            sample(done)
    finally:
        stack.stop()
    growth = {}
    for name, series in memory.items():
        first, last = series[0][1], series[-1][1]
        # growth after warm-up: from the sample at ~10% of the run to the end
        warm = series[min(len(series) - 1, max(1, len(series) // 10))][1]
        growth[name] = {
            "start_kib": first,
            "end_kib": last,
            "after_warmup_kib": warm,
            "growth_kib": last - first,
            "growth_after_warmup_kib_per_100": round(
                (last - warm)
                * 100
                / max(1, iterations - series[min(len(series) - 1, max(1, len(series) // 10))][0]),
                1,
            ),
        }
    return {
        "iterations": done,
        "iterations_requested": iterations,
        "failures": len(failures),
        "failure_samples": failures[:20],
        "seconds": round(time.monotonic() - started, 1),
        "issue_s": _stats(times["issue"]),
        "proof_s": _stats(times["proof"]),
        "memory": growth,
        "memory_series": memory,
    }


def _stats(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max": round(ordered[-1], 2),
    }


def flood(ops: int, concurrency: int, seconds: float) -> dict:
    """Mixed reads and writes through indy-vdr against a fresh 1-node ledger."""
    from indy_vdr import ledger as vdr_ledger
    from indy_vdr import open_pool

    from ssi_wallet.ledger.keys import KeyPair
    from ssi_wallet.ledger.service import LedgerService

    work = Path(tempfile.mkdtemp(prefix="ssi-flood-"))
    service = LedgerService(work / "ledger")
    info = service.start(nodes=1, exit_with_pid=os.getpid())
    trustee = KeyPair.from_seed(service.dd.read_trustee_seed())
    pid = service.pid()
    rss_before = rss_kib(pid) if pid else None
    counts = {"write_ok": 0, "read_ok": 0, "nack": 0, "error": 0}
    errors: list[str] = []
    written: list[str] = []

    async def run() -> float:
        pool = await open_pool(transactions_path=info.genesis_path)
        queue = asyncio.Queue()
        for i in range(ops):
            queue.put_nowait(i)
        deadline = time.monotonic() + seconds

        async def one(i: int) -> None:
            kind = i % 4  # 1 write : 3 reads
            if kind == 0:
                target = KeyPair.generate()
                req = vdr_ledger.build_nym_request(trustee.did, target.did, target.verkey)
                req.set_signature(trustee.sign(req.signature_input))
                reply = await pool.submit_request(req)
                if reply.get("txnMetadata", {}).get("seqNo"):
                    counts["write_ok"] += 1
                    written.append(target.did)
                return
            if kind in (1, 2) and written:
                req = vdr_ledger.build_get_nym_request(None, written[i % len(written)])
            else:
                req = vdr_ledger.build_get_txn_request(None, 1, 1 + (i % 5))
            await pool.submit_request(req)
            counts["read_ok"] += 1

        async def worker() -> None:
            while time.monotonic() < deadline:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await one(i)
                except Exception as error:  # noqa: BLE001 - counted
                    text = f"{type(error).__name__}: {str(error)[:120]}"
                    counts["nack" if "REQNACK" in text or "REJECT" in text else "error"] += 1
                    if len(errors) < 10:
                        errors.append(text)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
        # still alive and consistent: every write is readable
        sample = written[-5:]
        for did in sample:
            reply = await pool.submit_request(vdr_ledger.build_get_nym_request(None, did))
            if not reply.get("data"):
                errors.append(f"written NYM {did} not readable")
        closing = pool.close()
        if asyncio.iscoroutine(closing):
            await closing
        return elapsed

    try:
        elapsed = asyncio.run(run())
        rss_after = rss_kib(pid) if pid else None
        alive = service.pid() is not None
    finally:
        service.stop()
    done = counts["write_ok"] + counts["read_ok"]
    return {
        "ops_requested": ops,
        "ops_done": done,
        "seconds": round(elapsed, 1),
        "ops_per_second": round(done / elapsed, 1) if elapsed else None,
        **counts,
        "error_samples": errors,
        "ledger_alive_after": alive,
        "ledger_rss_kib": {"before": rss_before, "after": rss_after},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--sample-every", type=int, default=5)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="stop the soak after this long (results are still written)",
    )
    parser.add_argument("--ledger-ops", type=int, default=0)
    parser.add_argument("--flood-concurrency", type=int, default=16)
    parser.add_argument("--flood-seconds", type=float, default=600)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_avg_at_start": os.getloadavg(),
    }
    if args.iterations:
        result["soak"] = soak(args.iterations, args.sample_every, args.max_seconds)
    if args.ledger_ops:
        result["flood"] = flood(args.ledger_ops, args.flood_concurrency, args.flood_seconds)
    result["load_avg_at_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    summary = {k: v for k, v in result.items() if k != "soak"}
    if "soak" in result:
        summary["soak"] = {k: v for k, v in result["soak"].items() if k != "memory_series"}
    print(json.dumps(summary, indent=2))
    failed = result.get("soak", {}).get("failures", 0) or result.get("flood", {}).get("error", 0)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
