"""SCHEMA and CLAIM_DEF: the public parts of AnonCreds credentials."""

from __future__ import annotations

from .. import auth
from ..state import DomainState, claim_def_id
from .base import READS, WRITES, LedgerView, Nack, Reject, WriteHandler, read_result, require

MAX_ATTRS = 125


def _schema_id(req: dict) -> str:
    d = req["operation"]["data"]
    return f"{req['identifier']}:2:{d['name']}:{d['version']}"


def _validate_schema(op: dict) -> None:
    d = op.get("data")
    require(isinstance(d, dict), "SCHEMA needs a data object")
    require(
        isinstance(d.get("name"), str) and d["name"] != "", "schema name must be a non-empty string"
    )
    require(
        isinstance(d.get("version"), str) and d["version"] != "",
        "schema version must be a non-empty string",
    )
    names = d.get("attr_names")
    require(
        isinstance(names, list)
        and 0 < len(names) <= MAX_ATTRS
        and all(isinstance(n, str) and n for n in names),
        f"attr_names must be a list of 1 to {MAX_ATTRS} non-empty strings",
    )


def _authorize_schema(state: DomainState, req: dict, ctx: auth.AuthRequest) -> None:
    rule = auth.FORBIDDEN if _schema_id(req) in state.schemas else auth.TRUSTEE_STEWARD_ENDORSER
    try:
        auth.authorize(ctx, rule)
    except auth.AuthError as exc:
        raise Reject(auth.reject_reason(req["identifier"], req["reqId"], exc.reason)) from None


def _validate_claim_def(op: dict) -> None:
    require(
        isinstance(op.get("ref"), int) and not isinstance(op.get("ref"), bool),
        "'ref' field is absent, but it must contain schema seq no",
    )
    require(
        isinstance(op.get("data"), dict) and "primary" in op["data"],
        "'data' field is absent, but it must contain components of keys",
    )
    require(isinstance(op.get("signature_type", "CL"), str), "signature_type must be a string")
    require(isinstance(op.get("tag", "tag"), str), "tag must be a string")


def _cred_def_id(req: dict) -> str:
    op = req["operation"]
    return claim_def_id(
        req["identifier"], op.get("signature_type", "CL"), op["ref"], op.get("tag", "tag")
    )


def _authorize_claim_def(state: DomainState, req: dict, ctx: auth.AuthRequest) -> None:
    ref = req["operation"]["ref"]
    if ref not in state.types_by_seq:
        raise Reject(
            auth.invalid_reason(
                req["identifier"], req["reqId"], f"Mentioned seqNo ({ref}) doesn't exist."
            )
        )
    if state.types_by_seq[ref] != "101":
        raise Reject(
            auth.invalid_reason(
                req["identifier"],
                req["reqId"],
                f"Mentioned seqNo ({ref}) isn't seqNo of the schema.",
            )
        )
    try:
        auth.authorize(ctx, auth.TRUSTEE_STEWARD_ENDORSER)
    except auth.AuthError as exc:
        raise Reject(auth.reject_reason(req["identifier"], req["reqId"], exc.reason)) from None


def _get_schema(view: LedgerView, req: dict) -> dict:
    op = req["operation"]
    d = op.get("data")
    if (
        not isinstance(op.get("dest"), str)
        or not isinstance(d, dict)
        or not isinstance(d.get("name"), str)
        or not isinstance(d.get("version"), str)
    ):
        raise Nack("GET_SCHEMA needs dest and data.name, data.version")
    entry = view.state.schemas.get(f"{op['dest']}:2:{d['name']}:{d['version']}")
    if entry is None:
        return read_result(req, {"name": d["name"], "version": d["version"]})
    return read_result(req, dict(entry.value), entry.seq_no, entry.txn_time)


def _get_claim_def(view: LedgerView, req: dict) -> dict:
    op = req["operation"]
    if not isinstance(op.get("origin"), str) or not isinstance(op.get("ref"), int):
        raise Nack("GET_CLAIM_DEF needs origin and ref")
    cid = claim_def_id(
        op["origin"], op.get("signature_type", "CL"), op["ref"], op.get("tag", "tag")
    )
    entry = view.state.claim_defs.get(cid)
    if entry is None:
        return read_result(req, None)
    return read_result(req, entry.value["data"], entry.seq_no, entry.txn_time)


WRITES["101"] = WriteHandler(_validate_schema, _authorize_schema, _schema_id)
WRITES["102"] = WriteHandler(_validate_claim_def, _authorize_claim_def, _cred_def_id)
READS["107"] = _get_schema
READS["108"] = _get_claim_def
