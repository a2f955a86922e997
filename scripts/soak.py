"""Soak: N full product iterations against a real ledger, two agencies and a citizen
wallet, each checked; the memory, open files and databases of every long-lived process
sampled as it goes; and a ledger flood.

    nice -n 10 .venv/bin/python scripts/soak.py --iterations 1000
    .venv/bin/python scripts/soak.py --iterations 0 --ledger-ops 10000   # flood only
    .venv/bin/python scripts/soak.py --baseline stock [--preserve] --iterations 500

One iteration is the benchmark's (`bench/ours.py`): the employer agency offers an
IncomeStatement, the citizen accepts it, the municipality's policy asks a 1-predicate
proof, the wallet answers under the standing consent the citizen granted once, `verifier
serve` decides, audits and runs the policy's action (a webhook to this script). Every
`--cli-every`th iteration goes through the citizen's CLI instead: `ssi-wallet offers
accept` and, for a policy nobody consented to, `ssi-wallet requests present --yes`.

Each iteration is checked: the credential is in the wallet exactly once, the verifier's
agent verified the proof, `serve` recorded one decision and one audit entry and ran the
webhook action once. A failed check or step is counted with its reason; the run goes on.

`--baseline stock` runs the same loop over three stock ACA-Py agents (bench/stock.py: no
plugin, no CLI), with or without `--preserve-exchange-records`: the memory baseline.

The flood: `--ledger-ops` mixed reads and writes (NYM writes by the trustee, GET_NYM,
GET_TXN) through indy-vdr against its own 1-node ledger, `--flood-concurrency` in flight,
bounded by `--flood-seconds`; it then checks the ledger still answers and counts writes.
Figures go to docs/reliability.md by hand (this prints a summary and writes JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, load_average, summary_ms  # noqa: E402
from bench.ours import EXCHANGE_TIMEOUT, PASSPHRASE, POLICIES, Issued, OursSetup, Proved  # noqa: E402
from tests.plugins.cli import run_ssi_wallet  # noqa: E402

CONSENTED = POLICIES[False]  # the plain income check, answered under standing consent
BY_HAND = "income-check-manual"  # the same check nobody consented to: the CLI answers it
DB_SUFFIXES = (".db", ".db-wal", ".db-shm", ".sqlite", ".sqlite-wal")
Iteration = Callable[[bool], dict[str, float]]  # via_cli -> step times (s); CheckFailed


class CheckFailed(Exception):
    """An iteration finished its steps but its outcome is wrong."""


# ------------------------------------------------------------------ the CLI path


def _cli(setup: OursSetup, *args: str) -> dict[str, Any]:
    result = run_ssi_wallet(
        setup.home, *args, "--json", env={"SSI_WALLET_PASSPHRASE": PASSPHRASE}, timeout=120
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise CheckFailed(f"ssi-wallet {' '.join(args[:2])} exited {result.returncode}: {last}")
    return result.json()


def cli_accept(setup: OursSetup):
    return lambda offer_id: _cli(setup, "offers", "accept", offer_id)["credential_id"]


def cli_present(setup: OursSetup):
    def answer(request_id: str) -> None:
        _cli(setup, "requests", "present", request_id, "--yes")

    return answer


# ------------------------------------------------------------------ checks


def check_stored_once(setup: OursSetup, issued: Issued) -> None:
    wql = json.dumps({"attr::employee_ref::value": issued.employee_ref})
    with setup.holder_client() as holder:
        found = holder.get("/credentials", params={"wql": wql, "count": "10"}).get("results")
    ids = [c.get("referent") for c in found or []]
    if ids != [issued.cred_id]:
        raise CheckFailed(f"credential {issued.employee_ref}: wallet holds {ids}")


def check_decided_once(setup: OursSetup, proved: Proved, sink_arrivals: int) -> None:
    from ssi_wallet.agency import verifier

    with verifier.client_for(setup.municipality) as client:
        record = client.get(f"/present-proof-2.0/records/{proved.pres_ex_id}")
    if record.get("state") != "done" or record.get("verified") != "true":
        raise CheckFailed(
            f"verifier record {record.get('state')} verified={record.get('verified')}"
        )
    store = verifier.store_for(setup.municipality)
    for table in ("verifier_decisions", "verifier_audit"):
        row = store.db.fetchone(
            f"SELECT COUNT(*) AS n FROM {table} WHERE pres_ex_id = ?",  # noqa: S608 - fixed names
            (proved.pres_ex_id,),
        )
        if int(row["n"]) != 1:
            raise CheckFailed(f"{table}: {row['n']} rows for the exchange")
    deadline = time.monotonic() + 10  # the action is marked done just after it posted
    while True:
        actions = store.actions_of(proved.pres_ex_id)
        if [a["status"] for a in actions] == ["done"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if [(a["kind"], a["status"]) for a in actions] != [("webhook", "done")]:
        raise CheckFailed(f"actions {[(a['kind'], a['status']) for a in actions]}")
    if sink_arrivals != 1:
        raise CheckFailed(f"workflow webhook arrived {sink_arrivals} times")


# ------------------------------------------------------------------ samples


def fd_count(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def db_bytes(root: Path) -> int:
    """Bytes of the SQLite files (wallet, case store; WAL included) under `root`."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.name.endswith(DB_SUFFIXES))


def proc_kib(pid: int, file: str = "status", field: str = "VmRSS") -> int | None:
    """A kB figure of a process from /proc: VmRSS from `status`, or the anonymous part of
    the RSS (heap, arenas: what grows when a program keeps objects) from `smaps_rollup`."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Sampler:
    """VmRSS, anonymous RSS, open fds and CPU of each process, database sizes and the
    machine's load, every few iterations."""

    def __init__(self, pids: dict[str, int], dbs: dict[str, Path]) -> None:
        self.pids, self.dbs = pids, dbs
        self.samples: list[dict[str, Any]] = []

    def sample(self, iteration: int) -> dict[str, Any]:
        doc = {
            "iteration": iteration,
            "t": round(time.time(), 1),
            "load": load_average(),
            "rss_kib": {n: proc_kib(p) for n, p in self.pids.items()},
            "anon_kib": {n: proc_kib(p, "smaps_rollup", "Anonymous") for n, p in self.pids.items()},
            "fds": {n: fd_count(p) for n, p in self.pids.items()},
            "cpu_s": {n: cpu_seconds(p) for n, p in self.pids.items()},
            "db_bytes": {n: db_bytes(r) for n, r in self.dbs.items()},
        }
        self.samples.append(doc)
        return doc


def growth(samples: list[dict[str, Any]], key: str, warmup: int) -> dict[str, Any]:
    """Start / after warm-up / end of `key` per process, and the slope per 100
    iterations after warm-up, in its first and second half (does it level off?)."""
    out: dict[str, Any] = {}
    if len(samples) < 2:
        return out
    warm = next((s for s in samples if s["iteration"] >= warmup), samples[-1])
    end = samples[-1]
    mid_at = (warm["iteration"] + end["iteration"]) / 2
    mid = min(samples, key=lambda s: abs(s["iteration"] - mid_at))

    def slope(a: dict[str, Any], b: dict[str, Any], name: str) -> float | None:
        span = b["iteration"] - a["iteration"]
        if span <= 0 or a[key].get(name) is None or b[key].get(name) is None:
            return None
        return round((b[key][name] - a[key][name]) * 100 / span, 1)

    for name in samples[0][key]:
        out[name] = {
            "start": samples[0][key][name],
            "after_warmup": warm[key][name],
            "warmup_iteration": warm["iteration"],
            "end": end[key][name],
            "per_100_after_warmup": slope(warm, end, name),
            "per_100_first_half": slope(warm, mid, name),
            "per_100_second_half": slope(mid, end, name),
        }
    return out


# ------------------------------------------------------------------ the soak


def iteration(setup: OursSetup, via_cli: bool) -> dict[str, float]:
    """One checked iteration; raises with the reason when anything is wrong."""
    step = "issue"
    try:
        issued = setup.issue_exchange(False, accept=cli_accept(setup) if via_cli else None)
        t0 = time.perf_counter()
        check_stored_once(setup, issued)
        check_s = time.perf_counter() - t0
        step = "proof"
        if via_cli:
            proved = setup.prove_exchange(BY_HAND, answer=cli_present(setup))
        else:
            proved = setup.prove_exchange(CONSENTED)
        step = "check"
        t0 = time.perf_counter()
        check_decided_once(setup, proved, setup.sink.arrivals[proved.pres_ex_id])
        check_s += time.perf_counter() - t0
    except Exception as error:  # noqa: BLE001 - the caller counts it with its reason
        raise CheckFailed(f"{step}: {type(error).__name__}: {str(error)[:300]}") from error
    return {"issue_s": issued.seconds, "proof_s": proved.seconds, "check_s": check_s}


def left_open(setup: OursSetup) -> dict[str, int]:
    """Exchanges the wallet still has open after the run (there should be none)."""
    with setup.holder_client() as holder:
        offers = holder.get(
            "/issue-credential-2.0/records", params={"role": "holder", "state": "offer-received"}
        )
        requests = holder.get(
            "/present-proof-2.0/records", params={"role": "prover", "state": "request-received"}
        )
    return {
        "offers": len(offers.get("results") or []),
        "requests": len(requests.get("results") or []),
    }


def run_loop(args: argparse.Namespace, one: Iteration, sampler: Sampler) -> dict[str, Any]:
    """`args.iterations` iterations (every `--cli-every`th through the CLI), failures
    counted with their reasons, a sample every `--sample-every`."""
    runs: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    sampler.sample(0)
    started = time.monotonic()
    for i in range(1, args.iterations + 1):
        if args.max_seconds and time.monotonic() - started > args.max_seconds:
            print(f"stopping after {len(runs)} iterations: --max-seconds", flush=True)
            break
        via_cli = bool(args.cli_every) and i % args.cli_every == 0
        t0 = time.perf_counter()
        try:
            times = one(via_cli)
        except CheckFailed as error:
            failures.append({"iteration": i, "cli": via_cli, "reason": str(error)})
            print(f"iteration {i} FAILED: {error}", flush=True)
            times = {}
        runs.append(
            {
                "i": i,
                "cli": via_cli,
                "ok": bool(times),
                "total_s": round(time.perf_counter() - t0, 3),
                **{k: round(v, 3) for k, v in times.items()},
            }
        )
        if i % args.sample_every == 0:
            s = sampler.sample(i)
            print(
                f"{i}/{args.iterations}: {len(failures)} failed, "
                f"{time.monotonic() - started:.0f} s, load {s['load'][0]}, rss MiB "
                + ", ".join(f"{n} {v / 1024:.0f}" for n, v in s["rss_kib"].items() if v),
                flush=True,
            )
    if sampler.samples[-1]["iteration"] != len(runs):
        sampler.sample(len(runs))
    return {"runs": runs, "failures": failures, "seconds": time.monotonic() - started}


def soak_ours(args: argparse.Namespace, work: Path, ledger) -> dict[str, Any]:
    from ssi_wallet.holder.agent import holder_paths

    with OursSetup(work / "home", ledger, registry_size=args.registry_size) as setup:
        setup.grant_consent(False)
        sampler = Sampler(
            {**setup.pids, "ledger": ledger.pid()},
            {
                "holder wallet": holder_paths(setup.home).root,
                "employer": setup.home / "agencies" / "employer",
                "municipality": setup.home / "agencies" / "municipality",
            },
        )
        loop = run_loop(args, lambda via_cli: iteration(setup, via_cli), sampler)
        return summarise(args, loop, sampler.samples) | {
            "late_or_duplicate_webhooks": {k: v for k, v in setup.sink.arrivals.items() if v != 1},
            "left_open_in_wallet": left_open(setup),
        }


def soak_stock(args: argparse.Namespace, work: Path, ledger) -> dict[str, Any]:
    """The same loop over three stock ACA-Py agents (no plugin, no CLI, no checks beyond
    "stored" and "verified"): the memory baseline, with or without kept records."""
    from bench.stock import StockSetup

    with StockSetup(work / "stock", ledger, preserve=args.preserve) as setup:
        cred_def = setup.make_cred_def(False, 0)

        def one(_via_cli: bool) -> dict[str, float]:
            try:
                return {"issue_s": setup.issue(cred_def), "proof_s": setup.prove(cred_def, False)}
            except Exception as error:  # noqa: BLE001 - counted with its reason
                raise CheckFailed(f"{type(error).__name__}: {str(error)[:300]}") from error

        sampler = Sampler(
            {**setup.pids, "ledger": ledger.pid()},
            {role: work / "stock" / role for role in setup.agents},
        )
        args.cli_every = 0
        loop = run_loop(args, one, sampler)
        return summarise(args, loop, sampler.samples) | {
            "baseline": "stock",
            "preserve_exchange_records": args.preserve,
        }


def soak(args: argparse.Namespace) -> dict[str, Any]:
    from ssi_wallet.ledger.service import LedgerService

    work = Path(tempfile.mkdtemp(prefix="ssi-soak-"))
    ledger = LedgerService(work / "ledger")
    ledger.start(nodes=1, exit_with_pid=os.getpid())
    try:
        return (soak_stock if args.baseline == "stock" else soak_ours)(args, work, ledger)
    finally:
        ledger.stop()
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)


def summarise(args: argparse.Namespace, loop: dict[str, Any], samples: list[dict]) -> dict:
    runs, failures, loop_seconds = loop["runs"], loop["failures"], loop["seconds"]
    ok = [r for r in runs if r["ok"]]

    def timing(rows: list[dict[str, Any]]) -> dict[str, Any]:
        steps = ("issue_s", "proof_s", "check_s")
        return {k: summary_ms(r[k] for r in rows if k in r) for k in steps} | {
            "iteration": summary_ms(r["total_s"] for r in rows)
        }

    return {
        "iterations": len(runs),
        "iterations_requested": args.iterations,
        "cli_every": args.cli_every,
        "failures": len(failures),
        "failure_list": failures,
        "loop_seconds": round(loop_seconds, 1),
        "iterations_per_min": round(len(runs) / loop_seconds * 60, 1) if loop_seconds else None,
        "timing_api": timing([r for r in ok if not r["cli"]]),
        "timing_cli": timing([r for r in ok if r["cli"]]),
        "rss_kib": growth(samples, "rss_kib", args.warmup),
        "anon_kib": growth(samples, "anon_kib", args.warmup),
        "fds": growth(samples, "fds", args.warmup),
        "db_bytes": growth(samples, "db_bytes", args.warmup),
        "load": {
            "min_1m": min(s["load"][0] for s in samples),
            "max_1m": max(s["load"][0] for s in samples),
            "mean_1m": round(sum(s["load"][0] for s in samples) / len(samples), 2),
        },
        "samples": samples,
        "runs": runs,
    }


# ------------------------------------------------------------------ the ledger flood


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
    rss_before = proc_kib(pid) if pid else None
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
        rss_after = proc_kib(pid) if pid else None
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


# ------------------------------------------------------------------ main


def print_summary(result: dict[str, Any]) -> None:
    short = {k: v for k, v in result.items() if k != "soak"}
    if "soak" in result:
        short["soak"] = {k: v for k, v in result["soak"].items() if k not in ("samples", "runs")}
    print(json.dumps(short, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument(
        "--cli-every",
        type=int,
        default=10,
        help="every Nth iteration goes through `ssi-wallet offers accept` and "
        "`requests present` (0: never)",
    )
    parser.add_argument("--sample-every", type=int, default=50)
    parser.add_argument(
        "--warmup", type=int, default=100, help="iterations before growth is measured"
    )
    parser.add_argument("--registry-size", type=int, default=100)
    parser.add_argument(
        "--baseline",
        choices=("ours", "stock"),
        default="ours",
        help="stock: the same loop over three stock ACA-Py agents (memory baseline)",
    )
    parser.add_argument(
        "--preserve",
        action="store_true",
        help="with --baseline stock: keep exchange records as our agents do",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="stop the soak after this long (results are still written)",
    )
    parser.add_argument(
        "--keep-work", action="store_true", help="keep the agents' homes and logs in /tmp"
    )
    parser.add_argument("--ledger-ops", type=int, default=0)
    parser.add_argument("--flood-concurrency", type=int, default=16)
    parser.add_argument("--flood-seconds", type=float, default=600)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "soak-results.json")
    args = parser.parse_args()
    result: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_avg_at_start": load_average(),
        "exchange_timeout_s": EXCHANGE_TIMEOUT,
    }
    if args.iterations:
        result["soak"] = soak(args)
    if args.ledger_ops:
        result["flood"] = flood(args.ledger_ops, args.flood_concurrency, args.flood_seconds)
    result["load_avg_at_end"] = load_average()
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print_summary(result)
    failed = result.get("soak", {}).get("failures", 0) or result.get("flood", {}).get("error", 0)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
