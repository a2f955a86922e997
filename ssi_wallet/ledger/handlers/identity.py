"""NYM and ATTRIB: who is on the ledger, with which key, role and attributes."""

from __future__ import annotations

import hashlib
import json

from .. import auth
from ..canonical import dumps
from ..keys import expand_verkey, is_valid_did
from ..state import DomainState
from .base import READS, WRITES, LedgerView, Nack, Reject, WriteHandler, read_result, require

VALID_ROLES = (None, "", auth.TRUSTEE, auth.STEWARD, auth.ENDORSER, auth.NETWORK_MONITOR)


def _validate_nym(op: dict) -> None:
    require(is_valid_did(op.get("dest")), "dest needs to be present and be a valid DID")
    require(op.get("role") in VALID_ROLES, f"{op.get('role')} not a valid role")
    verkey = op.get("verkey")
    if verkey is not None:
        require(isinstance(verkey, str), "verkey must be a string")
        try:
            expand_verkey(op["dest"], verkey)
        except ValueError:
            raise Nack(f"invalid verkey {verkey!r} for {op['dest']}") from None


def _authorize_nym(state: DomainState, req: dict, ctx: auth.AuthRequest) -> None:
    op = req["operation"]
    dest = op["dest"]
    rec = state.nyms.get(dest)
    try:
        if rec is None:
            auth.authorize(ctx, auth.nym_add_rule(op.get("role") or None), field="role")
            return
        if "role" in op and (op["role"] or None) != (rec.role or None):
            auth.authorize(ctx, auth.nym_role_change_rule(rec.role, op["role"]), field="role")
        if "verkey" in op and op["verkey"] != rec.verkey:
            owner = state.owner_of_nym(dest)
            auth.authorize(ctx, auth.ANY_OWNER, is_owner=req["identifier"] == owner, field="verkey")
    except auth.AuthError as exc:
        raise Reject(auth.reject_reason(req["identifier"], req["reqId"], exc.reason)) from None


def _validate_attrib(op: dict) -> None:
    require(is_valid_did(op.get("dest")), "dest needs to be present and be a valid DID")
    present = [k for k in ("raw", "enc", "hash") if op.get(k) is not None]
    require(len(present) == 1, "ATTRIB should have one and only one of raw, enc, hash")
    value = op[present[0]]
    require(isinstance(value, str), f"{present[0]} must be a string")
    if present[0] == "raw":
        try:
            parsed = json.loads(value)
        except ValueError:
            raise Nack(
                "Attribute field must be valid JSON object when adding it as a raw field dest"
            ) from None
        require(
            isinstance(parsed, dict) and len(parsed) >= 1,
            '"raw" attribute field must contain non-empty JSON object dest',
        )


def _authorize_attrib(state: DomainState, req: dict, ctx: auth.AuthRequest) -> None:
    dest = req["operation"]["dest"]
    if dest not in state.nyms:
        raise Reject(
            auth.invalid_reason(
                req["identifier"],
                req["reqId"],
                "dest should be added before adding attribute for it",
            )
        )
    try:
        auth.authorize(ctx, auth.ANY_OWNER, is_owner=req["identifier"] == state.owner_of_nym(dest))
    except auth.AuthError as exc:
        raise Reject(auth.reject_reason(req["identifier"], req["reqId"], exc.reason)) from None


def _get_nym(view: LedgerView, req: dict) -> dict:
    dest = req["operation"].get("dest")
    if not isinstance(dest, str):
        raise Nack("dest needs to be present")
    rec = view.state.nyms.get(dest)
    if rec is None:
        return read_result(req, None)
    data = dumps(
        {
            "dest": rec.did,
            "identifier": rec.creator,
            "role": rec.role,
            "seqNo": rec.seq_no,
            "txnTime": rec.txn_time,
            "verkey": rec.verkey,
        }
    )
    return read_result(req, data, rec.seq_no, rec.txn_time)


def _get_attr(view: LedgerView, req: dict) -> dict:
    op = req["operation"]
    dest = op.get("dest")
    present = [k for k in ("raw", "enc", "hash") if op.get(k) is not None]
    if not isinstance(dest, str) or len(present) != 1 or not isinstance(op[present[0]], str):
        raise Nack("GET_ATTR needs dest and one and only one of raw, enc, hash")
    key = op[present[0]]
    if present[0] == "enc":
        key = hashlib.sha256(key.encode()).hexdigest()
    entry = view.state.attribs.get((dest, key))
    if entry is None:
        return read_result(req, None)
    return read_result(req, entry.value[1], entry.seq_no, entry.txn_time)


WRITES["1"] = WriteHandler(_validate_nym, _authorize_nym, lambda req: None)
WRITES["100"] = WriteHandler(_validate_attrib, _authorize_attrib, lambda req: None)
READS["105"] = _get_nym
READS["104"] = _get_attr
