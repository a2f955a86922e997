"""A minimal node client for the ledger's own tools (readiness ping, trustee writes).

It speaks the same wire protocol indy-vdr does (DEALER + CURVE, one JSON frame) but has
none of its consensus logic: every simulated node answers with the same bytes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import zmq
from zmq.utils import z85

from .keys import curve_public_from_verkey


class NodeClient:
    """One DEALER socket per node, with a fresh CURVE key pair (as indy-vdr does)."""

    def __init__(self, host: str, nodes: list[tuple[str, int, str]]) -> None:
        """``nodes``: (alias, client_port, verkey) for each node."""
        self.ctx = zmq.Context.instance()
        self.sockets: list[tuple[str, zmq.Socket]] = []
        for alias, port, verkey in nodes:
            pub, sec = zmq.curve_keypair()
            sock = self.ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.curve_publickey, sock.curve_secretkey = pub, sec
            sock.curve_serverkey = z85.encode(curve_public_from_verkey(verkey))
            sock.setsockopt(zmq.IDENTITY, pub)
            sock.connect(f"tcp://{host}:{port}")
            self.sockets.append((alias, sock))

    def close(self) -> None:
        for _, sock in self.sockets:
            sock.close(0)
        self.sockets = []

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_all(
        self,
        payload: bytes,
        timeout: float,
        enough: int | None = None,
        accept: Callable[[bytes], bool] | None = None,
    ) -> dict[str, bytes]:
        """Send ``payload`` to every node; return the replies that came back in time.

        With ``enough``, return as soon as that many replies are in. ``accept`` filters
        out late replies to an earlier request (for example by reqId).
        """
        poller = zmq.Poller()
        for _, sock in self.sockets:
            sock.send(payload)
            poller.register(sock, zmq.POLLIN)
        replies: dict[str, bytes] = {}
        deadline = time.monotonic() + timeout
        wanted = len(self.sockets) if enough is None else min(enough, len(self.sockets))
        while len(replies) < wanted:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for sock, _ in poller.poll(int(left * 1000) + 1):
                alias = next(a for a, s in self.sockets if s is sock)
                raw = sock.recv()
                if accept is None or accept(raw):
                    replies[alias] = raw
                    poller.unregister(sock)
        return replies

    def ping(self, timeout: float = 1.0) -> dict[str, bool]:
        """Which nodes answer ``pi`` with ``po``."""
        got = self.send_all(b"pi", timeout)
        return {alias: got.get(alias) == b"po" for alias, _ in self.sockets}

    def submit(self, request: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """Send a request to every node and return the first final answer (REPLY/REQNACK/REJECT)."""
        got = self.send_all(
            json.dumps(request).encode(), timeout, accept=reply_for(request["reqId"])
        )
        for raw in got.values():
            msg = json.loads(raw)
            if msg.get("op") in ("REPLY", "REQNACK", "REJECT"):
                return msg
        raise TimeoutError("no node answered")


def reply_for(req_id: int) -> Callable[[bytes], bool]:
    """A reply filter: only answers to this reqId."""

    def accept(raw: bytes) -> bool:
        try:
            msg = json.loads(raw)
        except ValueError:
            return False
        result = msg.get("result") if isinstance(msg, dict) else None
        got = msg.get("reqId") if isinstance(msg, dict) else None
        if got is None and isinstance(result, dict):
            got = result.get("reqId", result.get("txn", {}).get("metadata", {}).get("reqId"))
        return got == req_id

    return accept
