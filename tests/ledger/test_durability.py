"""Restart keeps everything; kill -9 in the middle of a burst of writes loses nothing
that was acknowledged and leaves a consistent ledger."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import base58
from indy_vdr import ledger as vl
from indy_vdr import open_pool

from ssi_wallet.ledger.canonical import leaf_bytes
from ssi_wallet.ledger.client import NodeClient
from ssi_wallet.ledger.keys import KeyPair
from ssi_wallet.ledger.merkle import MerkleTree
from ssi_wallet.ledger.storage import list_txns
from tests.ledger.conftest import nym_request, run, schema_request, submit


def _domain_status(led) -> dict:
    settings = led.service.dd.load()
    nodes = [(n.alias, n.client_port, n.verkey) for n in settings.nodes]
    with NodeClient(settings.host, nodes) as client:
        replies = client.send_all(json.dumps({"op": "LEDGER_STATUS", "ledgerId": 1}).encode(), 5)
    assert len(replies) == len(nodes) and len(set(replies.values())) == 1
    return json.loads(next(iter(replies.values())))


def _recomputed_root(led) -> tuple[int, str]:
    tree = MerkleTree()
    for i, t in enumerate(list_txns(led.service.dd.db)):
        assert t.seq_no == i + 1
        tree.append(leaf_bytes(json.loads(t.txn)))
    return tree.size, base58.b58encode(tree.root()).decode()


def test_restart_keeps_everything(ledger_factory):
    led = ledger_factory(nodes=4)
    trustee, kp = led.trustee, KeyPair.generate()

    async def write():
        pool = await open_pool(transactions_path=led.genesis_path)
        await submit(pool, nym_request(trustee, kp, "ENDORSER"))
        return await submit(pool, schema_request(kp, "s", ["a"]))

    written = run(write())
    before = _domain_status(led)
    ports = led.info.node_ports
    led.restart()
    assert led.info.node_ports == ports and led.info.txn_count == 3
    assert _domain_status(led) == before

    async def read():
        pool = await open_pool(transactions_path=led.genesis_path)
        nym = await submit(pool, vl.build_get_nym_request(None, kp.did))
        schema = await submit(pool, vl.build_get_schema_request(None, f"{kp.did}:2:s:1.0"))
        return nym, schema

    nym, schema = run(read())
    assert json.loads(nym["data"])["role"] == "101"
    assert schema["seqNo"] == written["txnMetadata"]["seqNo"]


def test_kill_9_during_burst_loses_no_acknowledged_write(ledger_factory):
    led = ledger_factory(nodes=4)
    pid = led.service.pid()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.ledger.burst_writer",
            led.genesis_path,
            str(led.service.dd.trustee_seed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    acked: list[tuple[str, int]] = []
    try:
        deadline = time.monotonic() + 60
        while len(acked) < 60 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            did, seq = line.split()
            acked.append((did, int(seq)))
        assert len(acked) >= 60, "the writer did not get going"
        os.kill(pid, signal.SIGKILL)  # in the middle of the burst
        time.sleep(0.2)
    finally:
        writer.kill()
        out, _ = writer.communicate(timeout=10)
    for line in out.splitlines():  # acknowledgements read after the kill still count
        did, seq = line.split()
        acked.append((did, int(seq)))

    led.restart()  # the stale pid file is noticed and replaced
    assert led.service.pid() not in (None, pid)
    size, root = _recomputed_root(led)
    status = _domain_status(led)
    assert (status["txnSeqNo"], status["merkleRoot"]) == (size, root)
    assert size >= 1 + len(acked)

    async def check():
        pool = await open_pool(transactions_path=led.genesis_path)
        for did, seq in acked:
            nym = await submit(pool, vl.build_get_nym_request(None, did))
            assert nym["data"] is not None and json.loads(nym["data"])["seqNo"] == seq
        got = await submit(pool, vl.build_get_txn_request(None, 1, size))
        assert got["data"]["rootHash"] == root and got["data"]["ledgerSize"] == size

    run(check())


def test_server_tied_to_an_owner_stops_when_the_owner_dies(tmp_path):
    from ssi_wallet.ledger.service import LedgerService

    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    service = LedgerService(tmp_path / "owned")
    try:
        service.start(nodes=1, exit_with_pid=owner.pid)
        pid = service.pid()
        assert pid
        owner.kill()
        owner.wait()
        deadline = time.monotonic() + 10
        while service.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.pid() is None
    finally:
        owner.kill()
        service.stop()
