"""The holder's typed view of what the agent keeps: connections, offers, credentials,
proof requests. Built from admin-API records in one place, so commands and renderers
never dig through nested agent JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ssi_wallet.errors import InvalidInputError


def issuer_did_of(cred_def_id: str | None) -> str | None:
    """`Th7M...:3:CL:12:tag` -> `Th7M...` (an Indy credential definition names its issuer)."""
    if not cred_def_id or ":" not in cred_def_id:
        return None
    return cred_def_id.split(":", 1)[0]


def schema_name_of(schema_id: str | None) -> str | None:
    """`did:2:IncomeStatement:1.0` -> `IncomeStatement`."""
    parts = (schema_id or "").split(":")
    return parts[2] if len(parts) == 4 else None


@dataclass(frozen=True)
class Connection:
    id: str
    state: str
    their_label: str | None
    their_did: str | None
    their_public_did: str | None
    created_at: str | None
    invitation_msg_id: str | None = None

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Connection:
        return cls(
            id=rec["connection_id"],
            state=rec.get("state", ""),
            their_label=rec.get("their_label"),
            their_did=rec.get("their_did"),
            their_public_did=rec.get("their_public_did"),
            created_at=rec.get("created_at"),
            invitation_msg_id=rec.get("invitation_msg_id"),
        )

    @property
    def active(self) -> bool:
        return self.state in ("active", "completed")

    def to_json(self) -> dict[str, Any]:
        return {"connection_id": self.id, **{k: v for k, v in asdict(self).items() if k != "id"}}


class IssuedBy:
    """What a credential definition id and schema id say about who issued what."""

    cred_def_id: str | None
    schema_id: str | None

    @property
    def issuer_did(self) -> str | None:
        return issuer_did_of(self.cred_def_id)

    @property
    def credential_type(self) -> str | None:
        return schema_name_of(self.schema_id)

    def to_json(self) -> dict[str, Any]:
        # A field-by-field copy, not `asdict`: its deep copies cost a listing of
        # hundreds of credentials tens of milliseconds.
        doc = {name: dict(value) if isinstance(value, dict) else value
               for name in self.__dataclass_fields__  # type: ignore[attr-defined]
               for value in (getattr(self, name),)}
        doc.update(issuer_did=self.issuer_did, credential_type=self.credential_type)
        return doc


@dataclass(frozen=True)
class Offer(IssuedBy):
    id: str
    connection_id: str | None
    state: str
    cred_def_id: str | None
    schema_id: str | None
    attributes: dict[str, str]
    created_at: str | None
    comment: str | None = None
    issuer_label: str | None = None
    # Whether its credential definition is on the wallet's ledger (None: not checked or
    # not readable); an offer from another network can never be accepted.
    on_ledger: bool | None = None

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Offer:
        cred_ex = rec.get("cred_ex_record", rec)
        offer = cred_ex.get("cred_offer") or {}
        preview = offer.get("credential_preview") or {}
        indy = ((cred_ex.get("by_format") or {}).get("cred_offer") or {}).get("indy") or {}
        return cls(
            id=cred_ex["cred_ex_id"],
            connection_id=cred_ex.get("connection_id"),
            state=cred_ex.get("state", ""),
            cred_def_id=indy.get("cred_def_id"),
            schema_id=indy.get("schema_id"),
            attributes={a["name"]: a.get("value", "") for a in preview.get("attributes", [])},
            created_at=cred_ex.get("created_at"),
            comment=offer.get("comment"),
        )



@dataclass(frozen=True)
class Credential(IssuedBy):
    id: str
    cred_def_id: str
    schema_id: str
    attributes: dict[str, str]
    rev_reg_id: str | None = None
    cred_rev_id: str | None = None
    received_at: str | None = None

    @classmethod
    def from_record(cls, rec: dict[str, Any], received_at: str | None = None) -> Credential:
        return cls(
            id=rec["referent"],
            cred_def_id=rec.get("cred_def_id", ""),
            schema_id=rec.get("schema_id", ""),
            attributes=dict(rec.get("attrs") or {}),
            rev_reg_id=rec.get("rev_reg_id"),
            cred_rev_id=rec.get("cred_rev_id"),
            received_at=received_at,
        )

    @property
    def revocable(self) -> bool:
        return bool(self.rev_reg_id)



@dataclass(frozen=True)
class Restriction:
    """One acceptable source for an attribute or predicate (any listed field must match)."""

    fields: dict[str, str]

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.fields.items()))


@dataclass(frozen=True)
class RequestedAttribute:
    referent: str
    names: tuple[str, ...]
    restrictions: tuple[Restriction, ...]
    non_revoked: dict[str, int] | None


@dataclass(frozen=True)
class RequestedPredicate:
    referent: str
    name: str
    p_type: str
    p_value: int
    restrictions: tuple[Restriction, ...]
    non_revoked: dict[str, int] | None


@dataclass(frozen=True)
class ProofRequest:
    id: str
    connection_id: str | None
    state: str
    name: str | None
    attributes: tuple[RequestedAttribute, ...]
    predicates: tuple[RequestedPredicate, ...]
    non_revoked: dict[str, int] | None
    created_at: str | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> ProofRequest:
        """The typed request; a malformed record (whatever a verifier managed to send)
        raises InvalidInputError with one line, never a Python error."""
        if not isinstance(rec, dict) or not isinstance(rec.get("pres_ex_id"), str):
            raise InvalidInputError("malformed proof request record (no pres_ex_id)")
        rid = rec["pres_ex_id"]

        def fail(message: str) -> InvalidInputError:
            return InvalidInputError(f"proof request {rid} is malformed: {message}")

        by_format = rec.get("by_format") or {}
        pres_request = by_format.get("pres_request") if isinstance(by_format, dict) else None
        indy = (pres_request or {}).get("indy") if isinstance(pres_request, dict) else None
        indy = indy or {}
        if not isinstance(indy, dict):
            raise fail("the indy request is not an object")
        attrs = tuple(_requested_attribute(ref, spec, fail)
                      for ref, spec in _mapping(indy, "requested_attributes", fail).items())
        preds = tuple(_requested_predicate(ref, spec, fail)
                      for ref, spec in _mapping(indy, "requested_predicates", fail).items())
        name = indy.get("name")
        return cls(
            id=rid,
            connection_id=rec.get("connection_id"),
            state=str(rec.get("state", "")),
            name=str(name) if name is not None else None,
            attributes=attrs,
            predicates=preds,
            non_revoked=_interval(indy.get("non_revoked"), "non_revoked", fail),
            created_at=rec.get("created_at"),
            raw=indy,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connection_id": self.connection_id,
            "state": self.state,
            "name": self.name,
            "requested_attributes": {
                a.referent: {"names": list(a.names),
                             "restrictions": [r.fields for r in a.restrictions]}
                for a in self.attributes
            },
            "requested_predicates": {
                p.referent: {"name": p.name, "p_type": p.p_type, "p_value": p.p_value,
                             "restrictions": [r.fields for r in p.restrictions]}
                for p in self.predicates
            },
            "non_revoked": self.non_revoked,
            "created_at": self.created_at,
        }


def _restrictions(spec: dict[str, Any], where: str = "", fail=None) -> tuple[Restriction, ...]:
    raw = spec.get("restrictions") or []
    if not isinstance(raw, list):
        if fail is None:
            return ()
        raise fail(f"{where}: restrictions must be a list")
    return tuple(
        Restriction({str(k): str(v) for k, v in r.items()})
        for r in raw
        if isinstance(r, dict)
    )


PREDICATE_TYPES = (">=", ">", "<=", "<")
_INT32 = 2 ** 31


def _mapping(indy: dict[str, Any], key: str, fail) -> dict[str, Any]:
    value = indy.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise fail(f"{key} must map referents to objects")
    return value


def _interval(value: Any, where: str, fail) -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
            k in ("from", "to") and (v is None or (isinstance(v, int)
                                                   and not isinstance(v, bool)))
            for k, v in value.items()):
        raise fail(f"{where}: non_revoked must be {{from, to}} with epoch seconds")
    return value


def _requested_attribute(ref: str, spec: dict[str, Any], fail) -> RequestedAttribute:
    names = spec.get("names")
    if names is None:
        names = [spec["name"]] if spec.get("name") is not None else []
    if not isinstance(names, list) or not names:
        raise fail(f"requested attribute {ref[:40]!r} has no name (names must be a list)")
    if not all(isinstance(n, str) and n for n in names):
        raise fail(f"requested attribute {ref[:40]!r}: every name must be text")
    return RequestedAttribute(
        referent=str(ref),
        names=tuple(names),
        restrictions=_restrictions(spec, f"requested attribute {ref[:40]!r}", fail),
        non_revoked=_interval(spec.get("non_revoked"), f"requested attribute {ref[:40]!r}",
                              fail),
    )


def _requested_predicate(ref: str, spec: dict[str, Any], fail) -> RequestedPredicate:
    where = f"requested predicate {ref[:40]!r}"
    name, p_type, p_value = spec.get("name"), spec.get("p_type"), spec.get("p_value")
    if not isinstance(name, str) or not name:
        raise fail(f"{where} has no attribute name")
    if p_type not in PREDICATE_TYPES:
        raise fail(f"{where}: p_type {str(p_type)[:10]!r} is not one of "
                   f"{', '.join(PREDICATE_TYPES)}")
    if isinstance(p_value, bool) or not isinstance(p_value, int) or not (
            -_INT32 <= p_value < _INT32):
        raise fail(f"{where}: p_value must be a 32-bit integer, not {str(p_value)[:20]!r}")
    return RequestedPredicate(
        referent=str(ref),
        name=name,
        p_type=p_type,
        p_value=p_value,
        restrictions=_restrictions(spec, where, fail),
        non_revoked=_interval(spec.get("non_revoked"), where, fail),
    )
