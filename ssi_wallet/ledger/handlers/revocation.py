"""REVOC_REG_DEF and REVOC_REG_ENTRY: revocation registries, written only by the owner
of the credential definition they belong to."""

from __future__ import annotations

from .. import auth
from ..state import DomainState
from .base import READS, WRITES, LedgerView, Nack, Reject, WriteHandler, read_result, require


def _validate_def(op: dict) -> None:
    for key in ("id", "credDefId", "revocDefType", "tag"):
        require(isinstance(op.get(key), str) and op[key] != "", f"{key} must be a non-empty string")
    value = op.get("value")
    require(isinstance(value, dict), "value must be an object")
    require(
        value.get("issuanceType") in ("ISSUANCE_BY_DEFAULT", "ISSUANCE_ON_DEMAND"),
        "value.issuanceType must be ISSUANCE_BY_DEFAULT or ISSUANCE_ON_DEMAND",
    )
    require(
        isinstance(value.get("maxCredNum"), int) and value["maxCredNum"] > 0,
        "value.maxCredNum must be positive",
    )
    require(isinstance(value.get("tailsHash"), str), "value.tailsHash must be a string")
    require(isinstance(value.get("tailsLocation"), str), "value.tailsLocation must be a string")
    require(isinstance(value.get("publicKeys"), dict), "value.publicKeys must be an object")
    parts = op["credDefId"].split(":")
    require(
        len(parts) in (4, 5),
        "Format of credDefId field is not acceptable. "
        "Expected: 'did:marker:signature_type:schema_ref' "
        "or 'did:marker:signature_type:schema_ref:tag'",
    )


def _authorize_def(state: DomainState, req: dict, ctx: auth.AuthRequest) -> None:
    op = req["operation"]
    ident, req_id = req["identifier"], req["reqId"]
    cred_def = state.claim_defs.get(op["credDefId"])
    if cred_def is None:
        raise Reject(
            auth.invalid_reason(
                ident, req_id, f"There is no any CRED_DEF by path: {op['credDefId']}"
            )
        )
    expected = f"{ident}:4:{op['credDefId']}:{op['revocDefType']}:{op['tag']}"
    if op["id"] != expected:
        raise Reject(auth.invalid_reason(ident, req_id, f"id must be {expected}"))
    existing = state.revoc_defs.get(op["id"])
    try:
        if existing is not None:
            auth.authorize(ctx, auth.ANY_OWNER, is_owner=existing.author == ident)
        else:
            # indy-node lets any privileged DID add one; this ledger also requires the
            # author to own the credential definition the registry belongs to.
            auth.authorize(ctx, auth.ANY_OWNER, is_owner=cred_def.author == ident)
            auth.authorize(ctx, auth.TRUSTEE_STEWARD_ENDORSER)
    except auth.AuthError as exc:
        raise Reject(auth.reject_reason(ident, req_id, exc.reason)) from None


def _validate_entry(op: dict) -> None:
    require(isinstance(op.get("revocRegDefId"), str), "revocRegDefId must be a string")
    require(isinstance(op.get("revocDefType"), str), "revocDefType must be a string")
    value = op.get("value")
    require(
        isinstance(value, dict) and isinstance(value.get("accum"), str),
        "value.accum must be a string",
    )
    for key in ("issued", "revoked"):
        items = value.get(key)
        require(
            items is None or (isinstance(items, list) and all(isinstance(i, int) for i in items)),
            f"value.{key} must be a list of integers",
        )


def _authorize_entry(state: DomainState, req: dict, ctx: auth.AuthRequest) -> None:
    op = req["operation"]
    ident, req_id = req["identifier"], req["reqId"]
    rev_def = state.revoc_defs.get(op["revocRegDefId"])
    if rev_def is None:
        raise Reject(
            auth.invalid_reason(
                ident, req_id, f"There is no any REVOC_REG_DEF by path: {op['revocRegDefId']}"
            )
        )
    is_owner = op["revocRegDefId"].split(":", 1)[0] == ident and rev_def.author == ident
    try:
        auth.authorize(ctx, auth.ANY_OWNER, is_owner=is_owner)
    except auth.AuthError as exc:
        raise Reject(auth.reject_reason(ident, req_id, exc.reason)) from None
    entries = state.revoc_entries.get(op["revocRegDefId"])
    prev = op["value"].get("prevAccum")
    if entries and prev is not None and prev != entries[-1].accum:
        raise Reject(
            auth.invalid_reason(
                ident, req_id, "Incorrect previous accumulator (prevAccum) for the current state"
            )
        )
    max_num = rev_def.value["value"]["maxCredNum"]
    for i in (op["value"].get("issued") or []) + (op["value"].get("revoked") or []):
        if not 1 <= i <= max_num:
            raise Reject(
                auth.invalid_reason(
                    ident, req_id, f"Revocation index {i} is out of range 1..{max_num}"
                )
            )


def _get_def(view: LedgerView, req: dict) -> dict:
    rid = req["operation"].get("id")
    if not isinstance(rid, str):
        raise Nack("GET_REVOC_REG_DEF needs id")
    entry = view.state.revoc_defs.get(rid)
    if entry is None:
        return read_result(req, None)
    return read_result(req, dict(entry.value), entry.seq_no, entry.txn_time)


def _accum_view(rid: str, def_type: str, e) -> dict:
    return {
        "revocDefType": def_type,
        "revocRegDefId": rid,
        "seqNo": e.seq_no,
        "txnTime": e.txn_time,
        "value": {"accum": e.accum},
    }


def _get_reg(view: LedgerView, req: dict) -> dict:
    op = req["operation"]
    rid, ts = op.get("revocRegDefId"), op.get("timestamp")
    if not isinstance(rid, str) or not isinstance(ts, int):
        raise Nack("GET_REVOC_REG needs revocRegDefId and timestamp")
    rev_def = view.state.revoc_defs.get(rid)
    e = view.state.revoc_entry_at(rid, ts)
    if rev_def is None or e is None:
        return read_result(req, None)
    return read_result(
        req, _accum_view(rid, rev_def.value["revocDefType"], e), e.seq_no, e.txn_time
    )


def _get_delta(view: LedgerView, req: dict) -> dict:
    op = req["operation"]
    rid, to, frm = op.get("revocRegDefId"), op.get("to"), op.get("from")
    if (
        not isinstance(rid, str)
        or not isinstance(to, int)
        or not (frm is None or isinstance(frm, int))
    ):
        raise Nack("GET_REVOC_REG_DELTA needs revocRegDefId, to and an optional from")
    state = view.state
    rev_def = state.revoc_defs.get(rid)
    e_to = state.revoc_entry_at(rid, to)
    if rev_def is None or e_to is None:
        return read_result(req, None)
    def_type = rev_def.value["revocDefType"]
    e_from = state.revoc_entry_at(rid, frm) if frm else None
    iss_to, rev_to = state.revoc_sets_at(rid, e_to.seq_no)
    iss_from, rev_from = state.revoc_sets_at(rid, e_from.seq_no if e_from else None)
    value: dict = {
        "accum_to": _accum_view(rid, def_type, e_to),
        "issued": sorted(iss_to - iss_from),
        "revoked": sorted(rev_to - rev_from),
    }
    if e_from is not None:
        value["accum_from"] = _accum_view(rid, def_type, e_from)
    data = {"revocDefType": def_type, "revocRegDefId": rid, "value": value}
    return read_result(req, data, e_to.seq_no, e_to.txn_time)


WRITES["113"] = WriteHandler(_validate_def, _authorize_def, lambda req: req["operation"]["id"])
WRITES["114"] = WriteHandler(
    _validate_entry, _authorize_entry, lambda req: f"5:{req['operation']['revocRegDefId']}"
)
READS["115"] = _get_def
READS["116"] = _get_reg
READS["117"] = _get_delta
