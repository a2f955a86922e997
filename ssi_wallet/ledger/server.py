"""The ledger server process: core + node sockets + tails server, until SIGTERM.

Every simulated node must answer a request with the same bytes, so a reply is computed
once, kept briefly under (identifier, reqId, payload digest) and replayed to the other
nodes; writes are additionally deduplicated durably by the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .canonical import dumps
from .core import LedgerCore
from .datadir import DataDir
from .genesis import TRUSTEE, nym_genesis_txn, read_genesis_file
from .keys import KeyPair
from .signing import payload_digest
from .storage import TxnStore
from .tails import TailsServer
from .transport import NodeTransport, serve_forever

log = logging.getLogger(__name__)

MSG_LIMIT = 128 * 1024  # plenum's client message limit
CACHE_TTL = 30.0
CACHE_SIZE = 8192


class ReplyCache:
    """Recently computed replies, so each node of the pool returns identical bytes."""

    def __init__(self, ttl: float = CACHE_TTL, size: int = CACHE_SIZE) -> None:
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None or time.monotonic() - item[0] > self.ttl:
            return None
        return item[1]

    def put(self, key: str, value: bytes) -> None:
        self._items[key] = (time.monotonic(), value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def _nack(reason: str, identifier: Any = None, req_id: Any = None) -> bytes:
    return dumps(
        {"op": "REQNACK", "identifier": identifier, "reqId": req_id, "reason": reason}
    ).encode()


class Dispatcher:
    """Bytes in, bytes out: parses a client frame and answers it, never raising."""

    def __init__(self, core: LedgerCore) -> None:
        self.core = core
        self.cache = ReplyCache()

    def __call__(self, raw: bytes | None) -> bytes | None:
        """``raw`` is the one message frame, or None when a message had several frames."""
        if raw is None:
            return _nack("client request invalid: expected exactly one message frame")
        try:
            return self._dispatch(raw)
        except Exception as exc:  # a bug must cost one request, never the server
            log.exception("request failed")
            return _nack(f"client request invalid: internal error ({type(exc).__name__})")

    def _dispatch(self, raw: bytes) -> bytes | None:
        if raw == b"pi":
            return b"po"
        try:
            msg = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _nack("client request invalid: message is not UTF-8 JSON")
        except RecursionError:
            return _nack("client request invalid: message nested too deeply")
        if not isinstance(msg, dict):
            return _nack("client request invalid: message must be a JSON object")
        ident, req_id = msg.get("identifier"), msg.get("reqId")
        if len(raw) > MSG_LIMIT:
            return _nack(
                f"client request invalid: message size {len(raw)}"
                f" exceeds the limit of {MSG_LIMIT} bytes",
                ident,
                req_id,
            )
        if msg.get("op") == "LEDGER_STATUS":
            ledger_id = msg.get("ledgerId")
            if ledger_id not in (0, 1, 2, 3):
                return _nack(f"client request invalid: Invalid ledger id {ledger_id}")
            return dumps(self.core.ledger_status(ledger_id)).encode()
        if "operation" not in msg:
            return _nack("client request invalid: unknown message (no operation)", ident, req_id)
        digest: str | None
        try:
            digest = payload_digest(msg)
            key = f"{ident}:{req_id}:{digest}"
        except Exception:
            digest, key = None, "raw:" + hashlib.sha256(raw).hexdigest()
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        reply = dumps(self.core.handle(msg, digest)).encode()
        self.cache.put(key, reply)
        return reply


def _stop_check(stopping: dict[str, bool], owner: int | None) -> Callable[[], bool]:
    """True once asked to stop, or once the owning process (tests) has died."""
    last = [0.0]

    def check() -> bool:
        if stopping["flag"]:
            return True
        if owner is not None and time.monotonic() - last[0] > 1.0:
            last[0] = time.monotonic()
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                log.info("owner process %d is gone: stopping", owner)
                return True
            except PermissionError:
                pass
        return False

    return check


def open_core(data_dir: DataDir, synchronous: str = "FULL") -> LedgerCore:
    """Load the ledger from its data directory (creating the domain genesis on first run)."""
    settings = data_dir.load()
    store = TxnStore(data_dir.db, synchronous)
    genesis = [nym_genesis_txn(1, settings.trustee_did, settings.trustee_verkey, TRUSTEE, None)]
    return LedgerCore(store, read_genesis_file(data_dir.genesis), genesis)


def run(
    data_dir: DataDir,
    synchronous: str = "FULL",
    on_ready: Callable[[], None] | None = None,
    exit_with_pid: int | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or until process ``exit_with_pid`` is gone)."""
    settings = data_dir.load()
    seeds = data_dir.node_seeds()
    core = open_core(data_dir, synchronous)
    transport = NodeTransport(
        settings.host,
        [(n.alias, n.client_port, KeyPair.from_seed(seeds[n.alias])) for n in settings.nodes],
    )
    tails = TailsServer(settings.host, settings.tails_port, data_dir.tails, data_dir.db)
    tails.start()
    stopping = {"flag": False}

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        stopping["flag"] = True

    old = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    log.info(
        "ledger serving %d node(s) on %s, tails on port %d",
        len(settings.nodes),
        settings.host,
        settings.tails_port,
    )
    if on_ready:
        on_ready()
    try:
        serve_forever(transport, Dispatcher(core), _stop_check(stopping, exit_with_pid))
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        tails.shutdown()
        tails.server_close()
        transport.close()
        core.store.close()
        log.info("ledger stopped")
