"""A minimal node client for the ledger's own tools (readiness ping, trustee writes).

It speaks the same wire protocol indy-vdr does (DEALER + CURVE, one JSON frame) but has
none of its consensus logic: every simulated node answers with the same bytes.
"""

from __future__ import annotations

import json
import time
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
        self, payload: bytes, timeout: float, enough: int | None = None
    ) -> dict[str, bytes]:
        """Send ``payload`` to every node; return the replies that came back in time.

        With ``enough``, return as soon as that many replies are in; later replies are
        discarded before the next send.
        """
        poller = zmq.Poller()
        for _, sock in self.sockets:
            while sock.poll(0):  # late replies to an earlier request
                sock.recv()
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
                replies[alias] = sock.recv()
                poller.unregister(sock)
        return replies

    def ping(self, timeout: float = 1.0) -> dict[str, bool]:
        """Which nodes answer ``pi`` with ``po``."""
        got = self.send_all(b"pi", timeout)
        return {alias: got.get(alias) == b"po" for alias, _ in self.sockets}

    def submit(self, request: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """Send a request to every node and return the first final answer (REPLY/REQNACK/REJECT)."""
        got = self.send_all(json.dumps(request).encode(), timeout)
        for raw in got.values():
            msg = json.loads(raw)
            if msg.get("op") in ("REPLY", "REQNACK", "REJECT"):
                return msg
        raise TimeoutError("no node answered")
