"""Scheme documents: signing, tamper detection, parsing, and local evaluation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssi_wallet.catalogue import (
    condition_holds,
    load_document,
    parse_document_text,
    parse_scheme,
    sign_document,
    verify_signature,
)
from ssi_wallet.errors import InvalidInputError
from ssi_wallet.holder.eligibility import evaluate
from ssi_wallet.holder.models import Credential
from ssi_wallet.ledger.keys import KeyPair

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "svb-tas.yaml"
SEED = "0123456789abcdef0123456789abcdef"
TODAY = dt.date(2026, 11, 21)


def signed() -> dict:
    return sign_document(load_document(EXAMPLE), SEED)


def test_signature_verifies_with_the_agency_key_only() -> None:
    doc = signed()
    keys = KeyPair.from_seed(SEED)
    assert doc["agency"]["did"] == keys.did == doc["signature"]["did"]
    assert verify_signature(doc, keys.verkey)
    other = KeyPair.from_seed("f" * 32)
    assert not verify_signature(doc, other.verkey)


@pytest.mark.parametrize("change", [
    lambda d: d["conditions"][0]["in"].append("Z99"),
    lambda d: d.__setitem__("asks", {"reveal": ["everything"]}),
    lambda d: d["signature"].__setitem__("value", d["signature"]["value"][:-2] + "11"),
    lambda d: d["signature"].__setitem__("value", "not base58 !"),
])
def test_tampering_breaks_the_signature(change) -> None:
    doc = json.loads(json.dumps(signed()))
    change(doc)
    assert not verify_signature(doc, KeyPair.from_seed(SEED).verkey)


def test_parse_rejects_unsigned_and_malformed() -> None:
    doc = load_document(EXAMPLE)
    with pytest.raises(InvalidInputError, match="agency"):
        parse_scheme(doc, "x")
    with pytest.raises(InvalidInputError, match="not signed"):
        parse_scheme({**doc, "agency": {"did": "abc"}}, "x")
    with pytest.raises(InvalidInputError, match="unknown operator"):
        parse_scheme({**signed(), "conditions": [{"attribute": "a", "~": 1}]}, "x")
    with pytest.raises(InvalidInputError, match="unknown key"):
        parse_scheme({**signed(), "bonus": 1}, "x")
    with pytest.raises(InvalidInputError, match="line 1"):
        parse_document_text(b"scheme: [unclosed", "x")


def cred(**attrs: str) -> Credential:
    return Credential(id="c1", cred_def_id="Lung:3:CL:12:default",
                      schema_id="Lung:2:MedicalDeclaration:1.0", attributes=attrs)


def test_evaluation_in_plain_words() -> None:
    scheme = parse_scheme(signed(), "x")
    assert evaluate(scheme, [cred(diagnosis_code="J61")], TODAY).status == "eligible"
    not_ok = evaluate(scheme, [cred(diagnosis_code="J45")], TODAY)
    assert not_ok.status == "not_eligible"
    assert not_ok.reason == "not met: diagnosis_code is one of J61, C45"
    missing = evaluate(scheme, [], TODAY)
    assert missing.status == "possibly_eligible"
    assert "no MedicalDeclaration credential" in missing.reason
    closed = evaluate(scheme, [cred(diagnosis_code="J61")], dt.date(2031, 1, 1))
    assert closed.status == "not_eligible"


def test_conditions() -> None:
    from ssi_wallet.catalogue import Condition

    income = {"net_income_cents": "176000", "issue_date": "20261101"}
    assert condition_holds(Condition("net_income", "<", "1500.00 EUR"), income, TODAY) is False
    assert condition_holds(Condition("net_income", ">=", "1500.00 EUR"), income, TODAY) is True
    assert condition_holds(Condition("issue_date", "within_days", 45), income, TODAY) is True
    assert condition_holds(Condition("issue_date", "within_days", 10), income, TODAY) is False
    assert condition_holds(Condition("missing", "==", "x"), income, TODAY) is None


@given(st.binary(max_size=300))
def test_document_parser_never_crashes(raw: bytes) -> None:
    try:
        parse_scheme(parse_document_text(raw, "x"), "x")
    except InvalidInputError:
        pass
