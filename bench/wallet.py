"""The citizen's side at scale: CLI latency, and a wallet holding 10,000 credentials.

Filling 10,000 credentials through DIDComm would take most of an hour on 2 cores, so the
wallet is filled by cloning, honestly: the agent is stopped, and the Askar store gets,
for each new credential, a copy of a credential the product really received earlier
(the same signed credential, a new id, the same tags ACA-Py's holder writes) plus a copy
of its issue-credential exchange records (new ids and thread, pointing at the new
credential), as `--preserve-exchange-records` would have kept them; then the agent is
started again. Searches, listing and proof building see exactly what a wallet that
received 10,000 credentials would hold; only the signatures repeat.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from bench.events import on

ROOT = Path(__file__).resolve().parents[1]


def _cli(home: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one `ssi-wallet ARGS`."""
    import resource

    env = {k: v for k, v in os.environ.items() if not k.startswith("SSI_WALLET_")}
    env.update({"SSI_WALLET_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120"})
    exe = ROOT / ".venv" / "bin" / "ssi-wallet"
    cmd = [str(exe)] if exe.exists() else ["ssi-wallet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, *args], capture_output=True, env=env, timeout=600)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"ssi-wallet {' '.join(args)}: {proc.stderr.decode()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def cli_latency(home: Path, runs: int) -> dict[str, Any]:
    """Wall time (and the command's own CPU time, which the machine's load does not
    inflate) of `ssi-wallet --help` and `credentials list` (agent up; as JSON and as
    the table people see), medians."""
    _cli(home, "--help")  # warm the page cache once
    helps = [_cli(home, "--help") for _ in range(runs)]
    lists = [_cli(home, "credentials", "list", "--json") for _ in range(runs)]
    tables = [_cli(home, "credentials", "list") for _ in range(runs)]
    ms = lambda xs, i: round(statistics.median(x[i] for x in xs) * 1000, 1)  # noqa: E731
    return {
        "help_ms": ms(helps, 0),
        "help_cpu_ms": ms(helps, 1),
        "credentials_list_ms": ms(lists, 0),
        "credentials_list_cpu_ms": ms(lists, 1),
        "credentials_list_table_ms": ms(tables, 0),
        "credentials_list_table_cpu_ms": ms(tables, 1),
        "runs": runs,
    }


class _Row:
    """An Askar entry copied out of its result list."""

    def __init__(self, entry: Any) -> None:
        self.name = entry.name
        self.value = bytes(entry.raw_value)
        self.tags = dict(entry.tags)


async def _clone(store_uri: str, key: str, target: int, cred_def_id: str) -> dict[str, Any]:
    from aries_askar import Store

    store = await Store.open(store_uri, "raw", key)
    try:
        async with store.session() as session:
            creds = [
                _Row(e) for e in await session.fetch_all("credential", {"cred_def_id": cred_def_id})
            ]
            details = [_Row(e) for e in await session.fetch_all("indy_cred_ex_v20")]
            exchanges = {r.name: r for r in map(_Row, await session.fetch_all("cred_ex_v20"))}
            have = await session.count("credential")
        by_cred = {}
        for d in details:
            value = json.loads(d.value)
            if value.get("cred_id_stored") and value.get("cred_ex_id") in exchanges:
                by_cred[value["cred_id_stored"]] = (d, exchanges[value["cred_ex_id"]])
        templates = [c for c in creds if c.name in by_cred]
        if not templates:
            raise RuntimeError("no received credential to clone")
        added = 0
        t0 = time.perf_counter()
        while have + added < target:
            async with store.transaction() as txn:
                for _ in range(min(1000, target - have - added)):
                    src = templates[added % len(templates)]
                    detail, exchange = by_cred[src.name]
                    cred_id, ex_id, detail_id = (str(uuid.uuid4()) for _ in range(3))
                    thread = str(uuid.uuid4())
                    await txn.insert("credential", cred_id, src.value, tags=src.tags)
                    ex_value = json.loads(exchange.value)
                    ex_value["thread_id"] = thread
                    ex_tags = {
                        k: (thread if "thread_id" in k else v) for k, v in exchange.tags.items()
                    }
                    await txn.insert("cred_ex_v20", ex_id, json.dumps(ex_value), tags=ex_tags)
                    d_value = json.loads(detail.value)
                    d_value.update(cred_ex_id=ex_id, cred_id_stored=cred_id)
                    d_tags = {
                        k: (ex_id if "cred_ex_id" in k else v) for k, v in detail.tags.items()
                    }
                    await txn.insert(
                        "indy_cred_ex_v20", detail_id, json.dumps(d_value), tags=d_tags
                    )
                    added += 1
                await txn.commit()
        async with store.session() as session:
            total = await session.count("credential")
        return {
            "before": have,
            "added": added,
            "credentials": total,
            "templates": len(templates),
            "fill_s": round(time.perf_counter() - t0, 1),
        }
    finally:
        await store.close()


def fill(setup, target: int) -> dict[str, Any]:
    """Stop the citizen's agent, clone credentials up to `target`, start it again."""
    from ssi_wallet.agent import process
    from ssi_wallet.holder.agent import ensure_agent, holder_paths
    from ssi_wallet.holder.wallet_key import load_wallet_key

    paths = holder_paths(setup.home)
    setup.close_hub()
    process.stop(paths.root)
    try:
        result = asyncio.run(
            _clone(paths.store_uri, load_wallet_key(paths.root), target, setup.cred_defs[False])
        )
    finally:
        t0 = time.perf_counter()
        ensure_agent(setup.home)
        setup.open_hub()
    result["agent_restart_s"] = round(time.perf_counter() - t0, 1)
    return result


def answer_times(setup, runs: int) -> dict[str, Any]:
    """A request nobody consented to, answered from the bench as the CLI would:
    `plan_presentation` (what `requests show` computes) + `present`; then the same policy
    round trip under standing consent."""
    from ssi_wallet.holder.proofs import plan_presentation, present

    plans, presents, totals, trips = [], [], [], []
    with setup.holder_client() as holder:
        for _ in range(runs):
            arrived = setup.holder_hub.expect(
                on(
                    "present_proof_v2_0",
                    state="request-received",
                    connection_id=setup.holder_muni_conn,
                ),
                fresh=True,
            )
            _pres_ex_id, decided = setup._send_request("income-check-manual")
            request_id = arrived.result(timeout=300)["pres_ex_id"]
            t0 = time.perf_counter()
            plan = plan_presentation(holder, request_id)
            t1 = time.perf_counter()
            present(holder, plan, timeout=300)
            t2 = time.perf_counter()
            plans.append(t1 - t0)
            presents.append(t2 - t1)
            totals.append(t2 - t0)
            decided.result(timeout=300)
        for _ in range(runs):
            trips.append(setup.prove(False))
    med = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    return {
        "plan_ms": med(plans),
        "present_ms": med(presents),
        "answer_ms": med(totals),
        "consent_round_trip_ms": med(trips),
        "runs": runs,
        "candidates_cap": 1000,
    }
