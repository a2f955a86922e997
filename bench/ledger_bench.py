"""Write and read latency of the embedded ledger through stock indy-vdr, 1 and 4 nodes.

Prints one JSON document. Not a test: run ``python -m bench.ledger_bench [--n 300]``.
``raw_wire_client`` repeats the rounds with a bare ZMQ/CURVE client (no indy-vdr),
waiting for the same f+1 replies: the ledger's own share of the latency.
Each round writes a NYM (signed by the trustee, f+1 identical replies needed) and reads
it back with GET_NYM. Latency is measured around ``pool.submit_request`` only.
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

from indy_vdr import ledger, open_pool

from ssi_wallet.ledger.keys import KeyPair
from ssi_wallet.ledger.service import LedgerService


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(_pct(ms, 95), 3),
        "max_ms": round(max(ms), 3),
        "n": len(ms),
    }


async def _measure(genesis: str, trustee: KeyPair, n: int, warmup: int) -> dict:
    t0 = time.perf_counter()
    pool = await open_pool(transactions_path=genesis)
    open_ms = (time.perf_counter() - t0) * 1000
    writes: list[float] = []
    reads: list[float] = []
    for i in range(n + warmup):
        kp = KeyPair.generate()
        req = ledger.build_nym_request(trustee.did, kp.did, kp.verkey, None, None)
        req.set_signature(trustee.sign(req.signature_input))
        t = time.perf_counter()
        await pool.submit_request(req)
        w = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        reply = await pool.submit_request(ledger.build_get_nym_request(None, kp.did))
        r = (time.perf_counter() - t) * 1000
        assert reply["data"] is not None
        if i >= warmup:
            writes.append(w)
            reads.append(r)
    return {
        "pool_open_ms": round(open_ms, 2),
        "write_nym": _summary(writes),
        "read_get_nym": _summary(reads),
    }


def _wire(service: LedgerService, trustee: KeyPair, n: int, warmup: int) -> dict:
    """The same rounds over a raw ZMQ/CURVE client: the ledger's own share of the latency."""
    import base58

    from ssi_wallet.ledger.client import NodeClient, reply_for
    from ssi_wallet.ledger.signing import signing_input

    settings = service.dd.load()
    nodes = [(n.alias, n.client_port, n.verkey) for n in settings.nodes]
    f_plus_1 = (len(nodes) - 1) // 3 + 1 if len(nodes) >= 4 else 1
    writes: list[float] = []
    reads: list[float] = []
    with NodeClient(settings.host, nodes) as client:
        client.ping(5)
        for i in range(n + warmup):
            kp = KeyPair.generate()
            req = {
                "identifier": trustee.did,
                "reqId": time.time_ns(),
                "protocolVersion": 2,
                "operation": {"type": "1", "dest": kp.did, "verkey": kp.verkey},
            }
            req["signature"] = base58.b58encode(trustee.sign(signing_input(req))).decode()
            t = time.perf_counter()
            got = client.send_all(json.dumps(req).encode(), 5, f_plus_1, reply_for(req["reqId"]))
            w = (time.perf_counter() - t) * 1000
            read = {
                "identifier": None,
                "reqId": time.time_ns(),
                "protocolVersion": 2,
                "operation": {"type": "105", "dest": kp.did},
            }
            t = time.perf_counter()
            got2 = client.send_all(
                json.dumps(read).encode(), 5, min(2, len(nodes)), reply_for(read["reqId"])
            )
            r = (time.perf_counter() - t) * 1000
            assert len(got) >= f_plus_1 and got2
            if i >= warmup:
                writes.append(w)
                reads.append(r)
    return {"write_nym": _summary(writes), "read_get_nym": _summary(reads)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="measured rounds per pool size")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--synchronous",
        default="FULL",
        choices=("FULL", "NORMAL"),
        help="SQLite durability: FULL fsyncs each write before replying (the default)",
    )
    args = parser.parse_args(argv)
    results: dict = {
        "tool": "stock indy-vdr " + __import__("indy_vdr").version(),
        "rounds": args.n,
        "synchronous": args.synchronous,
        "load_average_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in (1, 4):
            service = LedgerService(Path(tmp) / f"ledger{nodes}")
            info = service.start(nodes=nodes, synchronous=args.synchronous)
            try:
                trustee = KeyPair.from_seed(service.dd.read_trustee_seed())
                key = f"{nodes}_node" + ("s" if nodes > 1 else "")
                results[key] = asyncio.run(
                    _measure(info.genesis_path, trustee, args.n, args.warmup)
                )
                results[key]["raw_wire_client"] = _wire(service, trustee, args.n, args.warmup)
            finally:
                service.stop()
    four = results["4_nodes"]
    results["targets_met"] = {
        "write_p50_le_5ms": four["write_nym"]["p50_ms"] <= 5.0,
        "read_p50_le_2ms": four["read_get_nym"]["p50_ms"] <= 2.0,
    }
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
