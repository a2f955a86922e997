"""ZeroMQ side of the simulated nodes: one CURVE-secured ROUTER socket per node.

A message is one UTF-8 JSON frame (or the ping ``pi``); the reply goes back to the
sender's identity. Clients come and go (indy-vdr reconnects every few requests), so a
reply to a vanished identity is dropped rather than allowed to raise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import zmq
from zmq.utils import z85

from .keys import KeyPair

log = logging.getLogger(__name__)

HARD_MSG_LIMIT = 16 * 1024 * 1024  # beyond this libzmq drops the connection unread


@dataclass
class NodeSocket:
    alias: str
    socket: zmq.Socket


class NodeTransport:
    """Bind the nodes' client ports and move messages between them and a handler."""

    def __init__(self, host: str, nodes: list[tuple[str, int, KeyPair]]) -> None:
        self.ctx = zmq.Context.instance()
        self.nodes: list[NodeSocket] = []
        self.poller = zmq.Poller()
        try:
            for alias, port, keys in nodes:
                sock = self.ctx.socket(zmq.ROUTER)
                sock.setsockopt(zmq.LINGER, 0)
                sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
                sock.setsockopt(zmq.MAXMSGSIZE, HARD_MSG_LIMIT)
                sock.curve_secretkey = z85.encode(keys.curve_secret())
                sock.curve_publickey = z85.encode(keys.curve_public())
                sock.curve_server = True
                sock.bind(f"tcp://{host}:{port}")
                self.nodes.append(NodeSocket(alias, sock))
                self.poller.register(sock, zmq.POLLIN)
        except Exception:
            self.close()
            raise

    def poll(self, timeout_ms: int) -> Iterator[tuple[zmq.Socket, list[bytes]]]:
        """Yield (socket, frames) for every message waiting, up to a batch per socket."""
        ready = dict(self.poller.poll(timeout_ms))
        for node in self.nodes:
            if node.socket not in ready:
                continue
            for _ in range(256):
                try:
                    frames = node.socket.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                yield node.socket, frames

    @staticmethod
    def send(sock: zmq.Socket, identity: bytes, payload: bytes) -> bool:
        """Send a reply; False (and nothing raised) when the client has gone."""
        try:
            sock.send_multipart([identity, payload], zmq.NOBLOCK)
            return True
        except zmq.ZMQError as exc:
            if exc.errno not in (zmq.EHOSTUNREACH, zmq.EAGAIN):
                log.warning("reply dropped: %s", exc)
            return False

    def close(self) -> None:
        for node in self.nodes:
            node.socket.close(0)
        self.nodes = []


def serve_forever(
    transport: NodeTransport,
    handle: Callable[[bytes | None], bytes | None],
    should_stop: Callable[[], bool],
    poll_ms: int = 200,
) -> None:
    """The single-threaded loop: poll, handle, reply, until asked to stop."""
    while not should_stop():
        try:
            batch = list(transport.poll(poll_ms))
        except zmq.ZMQError as exc:
            if exc.errno == zmq.EINTR:
                continue
            raise
        for sock, frames in batch:
            if len(frames) < 2:
                continue  # no identity to answer to
            identity = frames[0]
            reply = handle(frames[1] if len(frames) == 2 else None)
            if reply is not None:
                transport.send(sock, identity, reply)
