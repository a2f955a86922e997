"""The ledger's logic without any networking: requests in, reply messages out.

The pool ledger is the genesis file and never grows (so clients never need catch-up).
The domain ledger lives in SQLite and in memory (state + merkle tree), rebuilt at start.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import base58

from . import auth
from .canonical import dumps, leaf_bytes
from .handlers import READS, WRITES, Nack, Reject
from .merkle import MerkleTree
from .signing import SignatureError, collect_signatures, full_digest, payload_digest, verify_request
from .state import DomainState
from .storage import TxnStore

log = logging.getLogger(__name__)

POOL, DOMAIN, CONFIG, AUDIT = 0, 1, 2, 3
PROTOCOL_VERSION = 2


def _b58(h: bytes) -> str:
    return base58.b58encode(h).decode()


class LedgerCore:
    """All ledgers and the domain state of one simulated pool."""

    def __init__(
        self,
        store: TxnStore,
        pool_txns: list[dict],
        domain_genesis: list[dict],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.clock = clock
        self.state = DomainState()
        self.pool_txns = pool_txns
        self.pool_tree = MerkleTree()
        for t in pool_txns:
            self.pool_tree.append(leaf_bytes(t))
        self.domain_txns: list[dict] = []
        self._last_txn_time = 0
        self.domain_tree = MerkleTree()
        for stored in store.iter_ledger(DOMAIN):
            self._load(json.loads(stored.txn))
        if not self.domain_txns:
            for t in domain_genesis:
                store.append(
                    DOMAIN,
                    t["txnMetadata"]["seqNo"],
                    t["txn"]["type"],
                    None,
                    None,
                    None,
                    dumps(t),
                    None,
                )
                self._load(t)
        log.info(
            "ledger loaded: %d domain txns, root %s",
            self.domain_tree.size,
            _b58(self.domain_tree.root()),
        )

    def _load(self, txn: dict) -> None:
        seq = txn["txnMetadata"]["seqNo"]
        if seq != len(self.domain_txns) + 1:
            raise RuntimeError(f"domain ledger has a gap at seqNo {seq}")
        self.domain_txns.append(txn)
        self.domain_tree.append(leaf_bytes(txn))
        self._last_txn_time = max(self._last_txn_time, txn["txnMetadata"].get("txnTime") or 0)
        self.state.apply(txn)

    # ---- ledger views -------------------------------------------------------------
    def _ledger(self, ledger_id: int) -> tuple[list[dict], MerkleTree | None]:
        if ledger_id == POOL:
            return self.pool_txns, self.pool_tree
        if ledger_id == DOMAIN:
            return self.domain_txns, self.domain_tree
        return [], None

    def ledger_status(self, ledger_id: int) -> dict[str, Any]:
        txns, tree = self._ledger(ledger_id)
        root = tree.root() if tree else MerkleTree().root()
        return {
            "op": "LEDGER_STATUS",
            "ledgerId": ledger_id,
            "txnSeqNo": len(txns),
            "merkleRoot": _b58(root),
            "ppSeqNo": 0,
            "viewNo": 0,
            "protocolVersion": PROTOCOL_VERSION,
        }

    def get_txn(self, ledger_id: int, seq_no: int) -> dict | None:
        """A transaction with the current root, its audit path and the ledger size."""
        txns, tree = self._ledger(ledger_id)
        if tree is None or not 1 <= seq_no <= len(txns):
            return None
        out = dict(txns[seq_no - 1])
        out.update(
            rootHash=_b58(tree.root()),
            auditPath=[_b58(h) for h in tree.audit_path(seq_no - 1)],
            ledgerSize=tree.size,
        )
        return out

    # ---- requests -------------------------------------------------------------------
    def handle(self, request: dict, digest: str | None = None) -> dict[str, Any]:
        """Answer one client request with a REPLY, REQNACK or REJECT message.

        ``digest`` is the request's payload digest when the caller already computed it.
        """
        ident = request.get("identifier")
        req_id = request.get("reqId")
        try:
            op = request.get("operation")
            if not isinstance(req_id, int) or isinstance(req_id, bool):
                raise Nack("client request invalid: missing or non-integer reqId")
            if not isinstance(op, dict) or "type" not in op:
                raise Nack(
                    auth.invalid_reason(ident, req_id, "missing operation or operation type")
                )
            if ident is not None and not isinstance(ident, str):
                raise Nack(auth.invalid_reason(ident, req_id, "identifier must be a string"))
            txn_type = str(op["type"])
            if txn_type in READS:
                return {"op": "REPLY", "result": READS[txn_type](self, request)}
            if txn_type in WRITES:
                return self._write(request, txn_type, digest)
            raise Nack(
                auth.invalid_reason(
                    ident, req_id, f"invalid type: {txn_type} is not supported by this ledger"
                )
            )
        except Nack as exc:
            reason = (
                exc.reason
                if exc.reason.startswith("client request invalid")
                else auth.invalid_reason(ident, req_id, exc.reason)
            )
            return {"op": "REQNACK", "identifier": ident, "reqId": req_id, "reason": reason}
        except Reject as exc:
            return {"op": "REJECT", "identifier": ident, "reqId": req_id, "reason": exc.reason}

    def _write(self, request: dict, txn_type: str, digest: str | None) -> dict[str, Any]:
        ident, req_id, op = request.get("identifier"), request["reqId"], request["operation"]
        if not isinstance(ident, str):
            raise Nack(auth.invalid_reason(ident, req_id, "identifier is required for a write"))
        pdigest = digest or payload_digest(request)
        req_key = f"{ident}:{req_id}:{pdigest}"
        stored = self.store.reply_for(req_key)
        if stored is not None:
            return {"op": "REPLY", "result": json.loads(stored)}
        handler = WRITES[txn_type]
        endorser = request.get("endorser")
        if endorser is not None and not isinstance(endorser, str):
            raise Nack(auth.invalid_reason(ident, req_id, "endorser must be a DID"))
        handler.validate(op)
        try:
            signers = verify_request(request, self.state.verkey_of)
            sigs = collect_signatures(request)
        except SignatureError as exc:
            raise Nack(f"client request invalid: {exc}") from None
        ctx = auth.AuthRequest(
            identifier=ident,
            signatures=request.get("signatures")
            if isinstance(request.get("signatures"), dict)
            else None,
            single_signature=request.get("signature") is not None,
            endorser=endorser,
            role_of=self.state.role_of,
            txn_type=txn_type,
        )
        handler.authorize(self.state, request, ctx)
        return {
            "op": "REPLY",
            "result": self._commit(
                request, txn_type, handler.txn_id(request), sigs, signers, pdigest, req_key
            ),
        }

    def _commit(
        self,
        request: dict,
        txn_type: str,
        txn_id: str | None,
        sigs: dict[str, str],
        signers: list[str],
        pdigest: str,
        req_key: str,
    ) -> dict[str, Any]:
        op = request["operation"]
        seq_no = len(self.domain_txns) + 1
        # never earlier than the previous write, so "latest at or before t" reads stay sound
        txn_time = max(int(self.clock()), self._last_txn_time)
        metadata: dict[str, Any] = {
            "digest": full_digest(request),
            "from": request["identifier"],
            "payloadDigest": pdigest,
            "reqId": request["reqId"],
        }
        if request.get("endorser"):
            metadata["endorser"] = request["endorser"]
        if request.get("taaAcceptance") is not None:
            metadata["taaAcceptance"] = request["taaAcceptance"]
        txn_meta: dict[str, Any] = {"seqNo": seq_no, "txnTime": txn_time}
        if txn_id is not None:
            txn_meta["txnId"] = txn_id
        txn = {
            "reqSignature": {
                "type": "ED25519",
                "values": [{"from": d, "value": sigs[d]} for d in sorted(signers)],
            },
            "txn": {
                "data": {k: v for k, v in op.items() if k != "type"},
                "metadata": metadata,
                "protocolVersion": request.get("protocolVersion", PROTOCOL_VERSION),
                "type": txn_type,
            },
            "txnMetadata": txn_meta,
            "ver": "1",
        }
        tree = self.domain_tree
        tree.append(leaf_bytes(txn))
        result = dict(txn)
        result.update(
            rootHash=_b58(tree.root()), auditPath=[_b58(h) for h in tree.audit_path(seq_no - 1)]
        )
        try:
            self.store.append(
                DOMAIN, seq_no, txn_type, txn_id, txn_time, req_key, dumps(txn), dumps(result)
            )
        except Exception:
            tree.truncate(seq_no - 1)
            raise
        self.domain_txns.append(txn)
        self._last_txn_time = txn_time
        self.state.apply(txn)
        return result
