"""The wire itself: pings, LEDGER_STATUS, identical replies from every node, and
malformed input answered with a clear REQNACK instead of silence or a crash."""

from __future__ import annotations

import json
import time

import base58
import zmq
from zmq.utils import z85

from ssi_wallet.ledger.client import NodeClient
from ssi_wallet.ledger.keys import KeyPair, curve_public_from_verkey
from ssi_wallet.ledger.signing import signing_input


def _client(led) -> NodeClient:
    s = led.service.dd.load()
    return NodeClient(s.host, [(n.alias, n.client_port, n.verkey) for n in s.nodes])


def _all(led, payload: bytes) -> list[dict]:
    with _client(led) as c:
        replies = c.send_all(payload, 5)
    assert len(replies) == led.info.nodes
    assert len(set(replies.values())) == 1, "nodes disagree"
    return [json.loads(r) for r in replies.values()]


def test_ping_and_ledger_status(ledger):
    with _client(ledger) as c:
        assert all(c.ping().values())
    status = _all(
        ledger,
        json.dumps(
            {
                "op": "LEDGER_STATUS",
                "ledgerId": 0,
                "txnSeqNo": 4,
                "merkleRoot": "x",
                "ppSeqNo": None,
                "viewNo": None,
                "protocolVersion": 2,
            }
        ).encode(),
    )[0]
    assert status["op"] == "LEDGER_STATUS" and status["txnSeqNo"] == 4 and status["ledgerId"] == 0


def test_every_node_returns_identical_bytes_for_writes_and_reads(ledger):
    trustee, kp = ledger.trustee, KeyPair.generate()
    req = {
        "identifier": trustee.did,
        "reqId": time.time_ns(),
        "protocolVersion": 2,
        "operation": {"type": "1", "dest": kp.did, "verkey": kp.verkey},
    }
    req["signature"] = base58.b58encode(trustee.sign(signing_input(req))).decode()
    reply = _all(ledger, json.dumps(req).encode())[0]
    assert reply["op"] == "REPLY" and reply["result"]["txn"]["data"]["dest"] == kp.did
    # the same request again (a client retry) gets the same transaction, not a second one
    again = _all(ledger, json.dumps(req).encode())[0]
    assert again["result"]["txnMetadata"] == reply["result"]["txnMetadata"]
    read = {
        "identifier": trustee.did,
        "reqId": time.time_ns(),
        "protocolVersion": 2,
        "operation": {"type": "105", "dest": kp.did},
    }
    assert (
        _all(ledger, json.dumps(read).encode())[0]["result"]["seqNo"]
        == reply["result"]["txnMetadata"]["seqNo"]
    )


def test_malformed_input_gets_reqnack(ledger):
    for payload in (
        b"not json",
        b"\xff\xfe\x00",
        b"[1,2]",
        b"{}",
        b'{"reqId": 5}',
        json.dumps({"identifier": "x", "reqId": "abc", "operation": {"type": "1"}}).encode(),
        json.dumps({"identifier": "x", "reqId": 7, "operation": "nope"}).encode(),
        json.dumps({"identifier": "x", "reqId": 8, "operation": {"type": "105"}}).encode(),
    ):
        reply = _all(ledger, payload)[0]
        assert reply["op"] == "REQNACK" and reply["reason"], payload
    big = {
        "identifier": "V4SGRU86Z58d6TV7PBUe6f",
        "reqId": 42,
        "protocolVersion": 2,
        "operation": {"type": "105", "dest": "x" * 200_000},
    }
    reply = _all(ledger, json.dumps(big).encode())[0]
    assert (
        reply["op"] == "REQNACK" and reply["reqId"] == 42 and "exceeds the limit" in reply["reason"]
    )


def test_multi_frame_messages_and_vanished_clients_do_not_hurt(ledger):
    s = ledger.service.dd.load()
    node = s.nodes[0]
    ctx = zmq.Context.instance()
    for i in range(30):
        pub, sec = zmq.curve_keypair()
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 1000)
        sock.curve_publickey, sock.curve_secretkey = pub, sec
        sock.curve_serverkey = z85.encode(curve_public_from_verkey(node.verkey))
        sock.connect(f"tcp://{s.host}:{node.client_port}")
        if i == 0:
            sock.send_multipart([b"one", b"two"])
            assert sock.poll(5000)
            nack = json.loads(sock.recv())
            assert nack["op"] == "REQNACK" and "one message frame" in nack["reason"]
        else:  # send and vanish before the reply: the server must drop it quietly
            sock.send(
                json.dumps(
                    {"identifier": None, "reqId": i, "operation": {"type": "3", "data": 1}}
                ).encode()
            )
        sock.close(linger=200)
    time.sleep(0.3)
    with _client(ledger) as c:
        assert all(c.ping().values())
