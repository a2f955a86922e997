"""Scheme catalogue documents: what an agency's scheme needs, signed by the agency.

An agency publishes, per scheme, a document (JSON or YAML) saying which credential it
needs, the conditions on its attributes, how to apply, what it may ask for, and when the
scheme is valid. It is signed with the key of the agency's public DID, so a wallet can
check it against that DID's verkey on the ledger before trusting it.

    scheme: svb-tas
    agency: {name: SVB, did: 6M1p...}
    description: {en: ..., nl: ...}
    credential: {schema_name: MedicalDeclaration, issuer_dids: [...]}   # or cred_def_id
    conditions:
      - {attribute: diagnosis_code, in: [J61, C45]}
      - {attribute: issue_date, within_days: 365}
      - {attribute: net_income, "<": 1500.00 EUR}
    apply: {invitation_url: "http://...?oob=...", policy: asbestos-contribution}
    asks: {reveal: [diagnosis_code, diagnosis_date], predicates: []}
    valid: {from: 2026-01-01, until: 2027-12-31}
    signature: {did: 6M1p..., alg: ed25519, value: <base58>}

The signature covers the canonical JSON (sorted keys, no spaces, UTF-8) of everything
but `signature`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssi_wallet.encoding import parse_date, parse_operand
from ssi_wallet.errors import InvalidInputError

COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
MAX_DOCUMENT_BYTES = 256 * 1024
TOP_KEYS = {"scheme", "agency", "description", "credential", "conditions", "apply", "asks",
            "valid", "signature"}


@dataclass(frozen=True)
class Condition:
    attribute: str
    op: str                  # one of COMPARISONS, "in", "within_days"
    operand: Any

    def describe(self) -> str:
        if self.op == "in":
            return f"{self.attribute} is one of {', '.join(map(str, self.operand))}"
        if self.op == "within_days":
            return f"{self.attribute} is within the last {self.operand} days"
        return f"{self.attribute} {self.op} {self.operand}"


@dataclass(frozen=True)
class Scheme:
    id: str
    agency_name: str
    agency_did: str
    description: dict[str, str]
    schema_name: str | None
    cred_def_id: str | None
    issuer_dids: tuple[str, ...]
    conditions: tuple[Condition, ...]
    invitation_url: str | None
    policy: str | None
    asks_reveal: tuple[str, ...]
    asks_predicates: tuple[str, ...]
    valid_from: dt.date | None
    valid_until: dt.date | None
    document: dict[str, Any]

    def text(self, lang: str = "en") -> str:
        return self.description.get(lang) or self.description.get("en") or self.id

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until)


def load_document(source: str | Path) -> dict[str, Any]:
    """A scheme document from a file path (YAML or JSON)."""

    path = Path(source)
    if not path.is_file():
        raise InvalidInputError(f"no scheme document at {path}")
    raw = path.read_bytes()
    return parse_document_text(raw, str(path))


def parse_document_text(raw: bytes, where: str) -> dict[str, Any]:
    import yaml

    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidInputError(f"{where}: too large for a scheme document")
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
        if not isinstance(doc, dict):
            raise InvalidInputError(f"{where}: a scheme document is a mapping")
        return _plain(doc)
    except UnicodeDecodeError:
        raise InvalidInputError(f"{where}: not UTF-8 text") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise InvalidInputError(f"{where}: not valid YAML or JSON{line}") from None
    except (ValueError, TypeError, OverflowError) as error:  # e.g. impossible dates
        raise InvalidInputError(f"{where}: not valid YAML or JSON ({type(error).__name__}: "
                                f"{str(error)[:80]})") from None
    except RecursionError:
        raise InvalidInputError(f"{where}: nested too deeply") from None


def _plain(value: Any) -> Any:
    """Dates from YAML become ISO strings, so the signed form is plain JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def sign_document(doc: dict[str, Any], seed: str) -> dict[str, Any]:
    """Sign with the agency DID's key (its seed); the DID is set from the key."""
    import base58

    from ssi_wallet.ledger.keys import KeyPair

    keys = KeyPair.from_seed(seed)
    doc = _plain(dict(doc))
    doc["agency"] = {**(doc.get("agency") or {}), "did": keys.did}
    parse_scheme(doc, "document", require_signature=False)
    signature = keys.sign(canonical_bytes(doc))
    doc["signature"] = {"did": keys.did, "alg": "ed25519",
                        "value": base58.b58encode(signature).decode()}
    return doc


def verify_signature(doc: dict[str, Any], verkey: str) -> bool:
    """Whether `doc` carries a valid signature by the key `verkey` (base58)."""
    import base58
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    sig = doc.get("signature") or {}
    try:
        key = VerifyKey(base58.b58decode(verkey))
        key.verify(canonical_bytes(doc), base58.b58decode(str(sig.get("value", ""))))
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def parse_scheme(doc: dict[str, Any], where: str, *,
                 require_signature: bool = True) -> Scheme:
    """Check a scheme document's shape; every problem is one line naming `where`."""

    def fail(message: str) -> InvalidInputError:
        return InvalidInputError(f"{where}: {message}")

    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise fail(f"unknown key(s): {', '.join(sorted(unknown))}")
    scheme_id = doc.get("scheme")
    if not isinstance(scheme_id, str) or not scheme_id.strip():
        raise fail("scheme: needs an id")
    agency = doc.get("agency") or {}
    if not isinstance(agency, dict) or not isinstance(agency.get("did"), str):
        raise fail("agency: needs the agency's did")
    description = doc.get("description") or {}
    if not isinstance(description, dict):
        raise fail("description: a mapping of language to text (en, nl)")
    cred = doc.get("credential") or {}
    if not isinstance(cred, dict) or not (cred.get("schema_name") or cred.get("cred_def_id")):
        raise fail("credential: needs schema_name or cred_def_id")
    issuers = cred.get("issuer_dids") or []
    if not isinstance(issuers, list):
        raise fail("credential.issuer_dids: a list of DIDs")
    raw_conditions = doc.get("conditions") or []
    if not isinstance(raw_conditions, list):
        raise fail("conditions: a list of {attribute: NAME, OPERATOR: VALUE}")
    conditions = tuple(_condition(c, fail) for c in raw_conditions)
    apply = doc.get("apply") or {}
    asks = doc.get("asks") or {}
    if not isinstance(apply, dict) or not isinstance(asks, dict):
        raise fail("apply: and asks: are mappings")
    for key in ("reveal", "predicates"):
        if not isinstance(asks.get(key) or [], list):
            raise fail(f"asks.{key}: a list of attribute names")
    for key in ("invitation_url", "policy"):
        if apply.get(key) is not None and not isinstance(apply[key], str):
            raise fail(f"apply.{key}: text")
    valid = doc.get("valid") or {}
    if not isinstance(valid, dict):
        raise fail("valid: {from: DATE, until: DATE}")
    signature = doc.get("signature")
    if require_signature:
        if not isinstance(signature, dict) or signature.get("alg") != "ed25519":
            raise fail("not signed (signature: {did, alg: ed25519, value})")
        if signature.get("did") != agency["did"]:
            raise fail("signed by another DID than the agency's")
    return Scheme(
        id=scheme_id.strip(),
        agency_name=str(agency.get("name") or agency["did"]),
        agency_did=agency["did"],
        description={str(k): str(v) for k, v in description.items()},
        schema_name=cred.get("schema_name"),
        cred_def_id=cred.get("cred_def_id"),
        issuer_dids=tuple(map(str, issuers)),
        conditions=conditions,
        invitation_url=apply.get("invitation_url"),
        policy=apply.get("policy"),
        asks_reveal=tuple(map(str, asks.get("reveal") or [])),
        asks_predicates=tuple(map(str, asks.get("predicates") or [])),
        valid_from=_date(valid.get("from"), fail),
        valid_until=_date(valid.get("until"), fail),
        document=doc,
    )


def _condition(raw: Any, fail) -> Condition:
    if not isinstance(raw, dict) or not isinstance(raw.get("attribute"), str):
        raise fail("each condition needs attribute:")
    ops = [k for k in raw if k != "attribute"]
    if len(ops) != 1:
        raise fail(f"condition on {raw['attribute']}: exactly one operator")
    op = ops[0]
    operand = raw[op]
    if op == "in":
        if not isinstance(operand, list) or not operand:
            raise fail(f"condition on {raw['attribute']}: in: needs a list")
        return Condition(raw["attribute"], op, tuple(map(str, operand)))
    if op == "within_days":
        if not isinstance(operand, int) or isinstance(operand, bool) or operand < 0:
            raise fail(f"condition on {raw['attribute']}: within_days: a number of days")
        return Condition(raw["attribute"], op, operand)
    if op not in COMPARISONS:
        raise fail(f"condition on {raw['attribute']}: unknown operator {op!r}")
    return Condition(raw["attribute"], op, operand)


def _date(value: Any, fail) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return parse_date(str(value))
    except InvalidInputError:
        raise fail(f"{value!r} is not a date") from None


def condition_holds(cond: Condition, attributes: dict[str, str], today: dt.date) -> bool | None:
    """True/False, or None when the credential lacks the attribute."""
    name = cond.attribute
    raw = attributes.get(name)
    if raw is None:
        raw = attributes.get(f"{name}_cents")
        name = f"{name}_cents"
    if raw is None:
        return None
    if cond.op == "in":
        return str(raw) in cond.operand
    if cond.op == "within_days":
        try:
            issued = parse_date(str(raw))
        except InvalidInputError:
            return False
        return (today - issued).days <= cond.operand
    try:
        left = int(str(raw))
        right = parse_operand(name, cond.operand)
    except (ValueError, InvalidInputError):
        left, right = str(raw), str(cond.operand)
        if cond.op not in ("==", "!="):
            return False
    return {"<": left < right, "<=": left <= right, ">": left > right,
            ">=": left >= right, "==": left == right, "!=": left != right}[cond.op]
