"""`python -m bench [--quick] [--out DIR]`: every measurement of issue 9 in one run.

Writes `bench/results.json` and `docs/performance.md` (with `docs/performance.png`), or
into `--out DIR` (results.json, performance.md, performance.png). The ledger runs first,
on its own. Then stock ACA-Py and ours run side by side: the
agents of both are up together, idle while the other side runs, and they take turns
within each level (`chunks_of`: stock, ours, ours, stock, ...), so a drift of the
machine's speed falls on both alike. The AnonCreds floor takes its turns with them at
concurrency 1 (floor, stock, ours, then ours, stock, floor, ...); it runs on its own
only when there is no c=1 level of agents to take turns with. Last, with stock's agents
stopped, the citizen's CLI and the 10,000-credential wallet.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import load_average, machine_info, versions
from bench.runner import Chunk, run_chunk, run_level, summarise

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[{dt.datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def plan(quick: bool) -> dict[str, Any]:
    if quick:
        return {
            "iterations": 3,
            "iterations_at_c1": 3,
            "levels": [1],
            "registry_size": 100,
            "floor_iterations": 3,
            "fresh_connections": 2,
            "wallet_size": 300,
            "answer_runs": 1,
            "cli_runs": 2,
            "ledger_rounds": 20,
            "warmup": 1,
        }
    return {
        "iterations": 50,
        # At c=1 the two sides are closest, and a turn's rate moves 10-15 % with the
        # minute it runs in: twice the iterations halve the variance of that comparison.
        "iterations_at_c1": 100,
        "levels": [1, 4, 8],
        "registry_size": 1000,
        "floor_iterations": 50,
        "fresh_connections": 20,
        "wallet_size": 10000,
        "answer_runs": 3,
        "cli_runs": 5,
        "ledger_rounds": 200,
        "warmup": 2,
    }


def run_floor(p: dict[str, Any]) -> dict[str, Any]:
    from bench import floor

    out = {}
    for revocable in (False, True):
        log(f"floor: indy-credx in process, revocation={revocable}")
        out["revocable" if revocable else "plain"] = floor.run(
            p["floor_iterations"], revocation=revocable, registry_size=p["registry_size"]
        )
    return out


def run_ledger(p: dict[str, Any]) -> dict[str, Any]:
    from bench import ledger_bench

    log("ledger: NYM write / GET_NYM read through indy-vdr (bench/ledger_bench.py)")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ledger_bench.main(["--n", str(p["ledger_rounds"]), "--warmup", "5"])
    return json.loads(buf.getvalue())


def run_levels(sides: dict[str, Any], p: dict[str, Any],
               floor: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every level of both modes for each side (stock, ours), the sides taking turns
    chunk by chunk (`chunks_of`), the first of each pair alternating. Run level after
    level, a drift of the machine's speed still fell unevenly: the floor's proof moved
    from 197 to 275 ms between two runs here, and a side's CPU per iteration by 15 %
    between levels a minute apart. With `floor` (a dict to fill), the AnonCreds floor
    takes its turns with the sides at concurrency 1, so the ratio to it is taken in the
    same minutes."""
    from bench.floor import Floor

    out: dict[str, dict[str, Any]] = {name: {} for name in sides}
    for revocable in (False, True):
        mode = "revocable" if revocable else "plain"
        in_turns = None
        if floor is not None:
            log(f"floor: indy-credx in process, revocation={revocable} (keys made now, "
                "measured in turns at c=1)")
            in_turns = Floor(revocation=revocable, registry_size=p["registry_size"])
        iterations = {}
        for name, setup in sides.items():
            if hasattr(setup, "grant_consent"):
                setup.grant_consent(revocable)
            iterations[name] = setup.iteration(revocable)
            run_level(
                iterations[name],
                iterations=p["warmup"],
                concurrency=1,
                pids=setup.pids,
                label=f"{name} {mode} warm-up",
                log=log,
            )
            out[name][mode] = {}
        for level in p["levels"]:
            chunks: dict[str, list[Chunk]] = {name: [] for name in sides}
            turns = [*sides, "floor"] if in_turns is not None and level == 1 else list(sides)
            count = p["iterations_at_c1"] if level == 1 else p["iterations"]
            for index, size in enumerate(chunks_of(count, level)):
                for name in turns if index % 2 == 0 else reversed(turns):
                    if name == "floor":
                        in_turns.run(size)
                        continue
                    chunks[name].append(run_chunk(iterations[name], iterations=size,
                                                  concurrency=level, pids=sides[name].pids))
            for name in sides:
                out[name][mode][str(level)] = summarise(f"{name} {mode}", level,
                                                        chunks[name], log)
        if in_turns is not None:
            floor[mode] = in_turns.result("in turns with the agents' c=1 level")
            in_turns.close()
            log(f"  floor {mode}: proof p50 {floor[mode]['proof'].get('p50_ms')} ms over "
                f"{floor[mode]['iterations']} iterations")
    return out


def chunks_of(iterations: int, concurrency: int) -> list[int]:
    """A level's iterations in turns of at least two rounds of its workers each (so
    the ramp at a turn's start and end stays a small part of it), at most ten turns."""
    count = max(1, min(10, iterations // (2 * concurrency)))
    return [iterations // count + (1 if i < iterations % count else 0) for i in range(count)]


def run_agents(p: dict[str, Any], ledger, work: Path, names: list[str],
               with_floor: bool = False) -> dict[str, Any]:
    """Stock and/or ours, all agents up together, levels side by side (the floor in
    turns with them at c=1 when `with_floor`); then, with stock's agents stopped, the
    wallet's own measurements (CLI, 10,000 credentials)."""
    from bench.ours import OursSetup
    from bench.stock import StockSetup

    with contextlib.ExitStack() as ours_up:
        with contextlib.ExitStack() as stock_up:
            sides: dict[str, Any] = {}
            for name in names:
                if name == "stock":
                    log("stock: three plain aca-py agents with auto flags")
                    setup = stock_up.enter_context(StockSetup(work / "stock", ledger, log=log))
                    setup.make_cred_def(False, 0)
                    setup.make_cred_def(True, p["registry_size"])
                else:
                    log("ours: employer + municipality agencies, verifier serve, citizen wallet")
                    setup = ours_up.enter_context(
                        OursSetup(work / "ours", ledger, registry_size=p["registry_size"], log=log)
                    )
                sides[name] = setup
            floor: dict[str, Any] | None = {} if with_floor else None
            out = run_levels(sides, p, floor)
            if floor:
                out["floor"] = floor
            for name, setup in sides.items():
                log(f"{name}: issuance on a fresh connection per credential")
                out[name]["fresh_connection_issuance"] = setup.fresh_connection_issuance(
                    p["fresh_connections"]
                )
                out[name]["processes"] = sorted(setup.pids)
        if "ours" in sides:
            out["ours"].update(wallet_measures(sides["ours"], work / "ours", p))
    return out


def wallet_measures(setup, home: Path, p: dict[str, Any]) -> dict[str, Any]:
    from bench import wallet

    log("ours: CLI latency")
    cli = wallet.cli_latency(home, p["cli_runs"])
    cli["credentials_in_wallet"] = _credential_count(setup)
    log(f"ours: filling the wallet to {p['wallet_size']} credentials")
    big = {"fill": wallet.fill(setup, p["wallet_size"])}
    log(f"  filled: {big['fill']}")
    big["answer"] = wallet.answer_times(setup, p["answer_runs"])
    big["cli"] = wallet.cli_latency(home, max(2, p["cli_runs"] // 2))
    log(f"  answer: {big['answer']}, cli: {big['cli']}")
    return {"cli": cli, "wallet_10k": big}


def _credential_count(setup) -> int:
    from ssi_wallet.holder.credentials import list_credentials

    with setup.holder_client() as client:
        return len(list_credentials(client, with_times=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: few iterations, concurrency 1 (numbers not meaningful)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write results.json, performance.md and .png here instead",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        choices=("floor", "ledger", "stock", "ours"),
        help="run only these sections (repeatable; for development)",
    )
    parser.add_argument(
        "--iterations", type=int, default=None, help="override iterations per level"
    )
    parser.add_argument(
        "--levels",
        default=None,
        help="override the concurrency levels, comma-separated (e.g. 1,4,8)",
    )
    parser.add_argument(
        "--wallet-size", type=int, default=None, help="override the large wallet's size"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only rewrite performance.md/.png from an existing results.json",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        from bench import report

        base = args.out or ROOT
        json_path = (base / "results.json") if args.out else ROOT / "bench" / "results.json"
        md_path = (base / "performance.md") if args.out else ROOT / "docs" / "performance.md"
        results = json.loads(json_path.read_text())
        results["targets"] = report.targets(results)
        json_path.write_text(json.dumps(results, indent=1) + "\n")
        report.write(results, md_path, md_path.with_suffix(".png"))
        return 0
    p = plan(args.quick)
    if args.iterations:
        p["iterations"] = p["iterations_at_c1"] = args.iterations
    if args.levels:
        p["levels"] = [int(x) for x in args.levels.split(",")]
    if args.wallet_size:
        p["wallet_size"] = args.wallet_size
    sections = args.only or ["floor", "ledger", "stock", "ours"]
    agents = [s for s in sections if s in ("stock", "ours")]  # run together, side by side
    # The floor takes turns with the agents' c=1 level when there is one.
    floor_in_turns = "floor" in sections and bool(agents) and 1 in p["levels"]
    started = time.time()
    results: dict[str, Any] = {
        "meta": {
            "mode": "quick" if args.quick else "full",
            "plan": p,
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "versions": versions(),
            "uptime_at_start": _uptime(),
            "load_average_at_start": load_average(),
        },
    }
    from ssi_wallet.ledger.service import LedgerService

    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ssi-bench-") as tmp:
        work = Path(tmp)
        ledger = None
        try:
            for section in sections:
                try:
                    if section == "floor":
                        if not floor_in_turns:
                            results["floor"] = run_floor(p)
                    elif section == "ledger":
                        results["ledger"] = run_ledger(p)
                    elif section == agents[0]:
                        section = " and ".join(agents)
                        if ledger is None:
                            ledger = LedgerService(work / "ledger")
                            ledger.start(exit_with_pid=os.getpid())
                        results.update(run_agents(p, ledger, work, agents,
                                                  with_floor=floor_in_turns))
                except Exception as error:  # noqa: BLE001 - report it, run the rest
                    traceback.print_exc()
                    failures[section] = f"{type(error).__name__}: {error}"[:500]
        finally:
            if ledger is not None:
                ledger.stop()
    results["meta"].update(
        {
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.time() - started, 1),
            "uptime_at_end": _uptime(),
            "load_average_at_end": load_average(),
            "failures": failures,
        }
    )
    from bench import report

    results["targets"] = report.targets(results)
    out_dir = args.out
    json_path = (out_dir / "results.json") if out_dir else ROOT / "bench" / "results.json"
    md_path = (out_dir / "performance.md") if out_dir else ROOT / "docs" / "performance.md"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    report.write(results, md_path, md_path.with_suffix(".png"))
    log(f"wrote {json_path} and {md_path} in {results['meta']['duration_s']} s")
    for t in results["targets"]:
        interval = t.get("interval")
        log(
            f"  {'MET ' if t['met'] else 'MISS' if t['met'] is False else '----'} "
            f"{t['name']}: {t['value']}"
            + (f" (95 % interval {report.interval_text(interval)})" if interval else "")
            + f" (target {t['target']})"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
