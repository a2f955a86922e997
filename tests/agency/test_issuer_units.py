"""Issuer pieces without agents: credential types, batch CSV reading, the issuer store's
idempotency, agency init (paths, secrets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssi_wallet.agency.batch import read_rows, row_key
from ssi_wallet.agency.credential_types import load_credential_type, parse_credential_type
from ssi_wallet.agency.db import Database
from ssi_wallet.agency.issued_store import IssuedStore
from ssi_wallet.errors import InvalidInputError, UsageError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def income():
    return load_credential_type(EXAMPLES / "credentials" / "income-statement.yaml")


def test_shipped_types_load():
    names = {load_credential_type(p).name for p in (EXAMPLES / "credentials").glob("*.yaml")}
    assert {"IncomeStatement", "MedicalDeclaration", "DebtSupportCertificate"} <= names


def test_values_are_encoded_by_declared_type(income):
    raw = income.encode(
        {
            "month": "2026-10",
            "net_income_cents": "€1,234.56",
            "gross_income_cents": "160000",
            "employer_name": " RideCo ",
            "employee_ref": "E-1",
            "issue_date": "20261101",
            "valid_until": "2027-12-31",
        }
    )
    assert raw == {
        "month": "202610",
        "net_income_cents": "123456",
        "gross_income_cents": "160000",
        "employer_name": "RideCo",
        "employee_ref": "E-1",
        "issue_date": "20261101",
        "valid_until": "20271231",
    }


def test_every_problem_is_reported(income):
    problems = income.problems(
        {
            "month": "2026-13",
            "net_income_cents": "12.345 EUR",
            "colour": "blue",
            "issue_date": "yesterday",
        }
    )
    text = "; ".join(problems)
    assert "unknown attribute(s) colour" in text
    assert "month:" in text and "net_income_cents:" in text and "issue_date:" in text
    assert "employer_name is missing" in text and "valid_until is missing" in text
    with pytest.raises(InvalidInputError):
        income.encode({})


def test_integer_type_and_bad_type_files():
    ctype = parse_credential_type(
        {"name": "Count", "version": "1.0", "attributes": {"n": {"type": "integer"}}}
    )
    assert ctype.encode({"n": "-12"}) == {"n": "-12"}
    assert ctype.problems({"n": "1.5"})
    with pytest.raises(InvalidInputError, match="version"):
        parse_credential_type({"name": "X", "version": 1.1, "attributes": {"a": "text"}})
    with pytest.raises(InvalidInputError, match="type must be one of"):
        parse_credential_type({"name": "X", "version": "1", "attributes": {"a": "float"}})


def test_csv_rows_with_line_numbers(income, tmp_path):
    path = tmp_path / "b.csv"
    header = "connection_id,row_id," + ",".join(income.attribute_names)
    good = "c1,r1,2026-10,1000.00 EUR,1200.00 EUR,RideCo,E-1,2026-11-01,2027-12-31"
    path.write_text(
        "\n".join(
            [
                header,
                good,
                "c1,r2,2026-10,lots,1200.00 EUR,RideCo,E-2,2026-11-01,2027-12-31",  # line 3
                ",r3,2026-10,1000.00 EUR,1200.00 EUR,RideCo,E-3,2026-11-01,2027-12-31",  # line 4
                "",
                good.replace("c1,r1", "c1,r1"),  # line 6: same row
                "c2,,2026-10,1000.00 EUR,1200.00 EUR,RideCo,E-5,2026-11-01,2027-12-31,extra",  # 7
                '"c2",,2026-11,"1,000.00 EUR",1200.00 EUR,"Ride, Co",E-6,2026-12-01,2027-12-31',
            ]
        )
        + "\n"
    )
    rows, bad = read_rows(path, income)
    assert [r.line for r in rows] == [2, 8]
    assert rows[1].raw["net_income_cents"] == "100000"
    assert rows[1].raw["employer_name"] == "Ride, Co"
    assert {b.line: b.error for b in bad}.keys() == {3, 4, 6, 7}
    messages = {b.line: b.error for b in bad}
    assert "net_income_cents" in messages[3]
    assert "connection_id is missing" in messages[4]
    assert "same credential as line 2" in messages[6]
    assert "more values than columns" in messages[7]


def test_csv_header_problems_are_fatal(income, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("connection_id,month,shoe_size\n")
    with pytest.raises(InvalidInputError, match="line 1: column"):
        read_rows(path, income)
    path.write_text("row_id,month\n")
    with pytest.raises(InvalidInputError, match="no connection_id"):
        read_rows(path, income)


def test_row_key_is_stable_and_content_based(income):
    raw = {"month": "202610"}
    assert row_key(income, "c1", raw, None) == row_key(income, "c1", dict(raw), None)
    assert row_key(income, "c1", raw, None) != row_key(income, "c2", raw, None)
    assert row_key(income, "c1", raw, "r-9").endswith("/id:r-9")


def test_store_claims_a_row_once(tmp_path):
    db = Database(tmp_path / "agency.db")
    store = IssuedStore(db, "employer")
    other = IssuedStore(db, "other")  # same database, another agency
    first, claimed = store.claim_row(
        row_key="k1", connection_id="c", type_name="T", cred_def_id="d", batch="b.csv", line=2
    )
    again, claimed_again = store.claim_row(
        row_key="k1", connection_id="c", type_name="T", cred_def_id="d", batch="b.csv", line=2
    )
    assert claimed and not claimed_again and again.id == first.id and again.state == "sending"
    _, claimed_other = other.claim_row(
        row_key="k1", connection_id="c", type_name="T", cred_def_id="d", batch=None, line=None
    )
    assert claimed_other
    store.set_sent(first.id, "ex-1", "offer-sent")
    store.update_state("ex-1", "done", rev_reg_id="r", cred_rev_id="3")
    row = store.by_row_key("k1")
    assert row.issued and row.cred_rev_id == "3" and row.cred_ex_id == "ex-1"
    store.set_revocation("ex-1", "pending")
    assert store.publish_pending() == ["ex-1"]
    assert store.get("ex-1").revocation == "revoked"
    assert len(store.list()) == 1 and len(other.list()) == 1
    db.close()


def test_agency_init_makes_paths_absolute_and_keeps_secrets_private(tmp_path):
    from ssi_wallet.agency.runtime import (
        did_seed,
        init_agency,
        list_agencies,
        load_agency,
        pick_agency,
        public_identity,
        wallet_key,
    )

    home = tmp_path / "home"
    doc = init_agency("rideco", EXAMPLES / "agencies" / "employer.yaml", home=home)
    assert doc["roles"] == ["issuer"]
    config = load_agency("rideco", home)
    assert config.name == "rideco"
    assert config.credential_types == (
        (EXAMPLES / "credentials" / "income-statement.yaml").resolve(),
    )
    with pytest.raises(UsageError, match="exists already"):
        init_agency("rideco", EXAMPLES / "agencies" / "employer.yaml", home=home)
    seed = did_seed(config)
    assert len(seed) == 32 and did_seed(config) == seed
    assert wallet_key(config) == wallet_key(config)
    for name in ("did.seed", "wallet.key"):
        assert (config.root / "secrets" / name).stat().st_mode & 0o777 == 0o600
    assert public_identity(config).did
    assert pick_agency(None, "issuer", home).name == "rideco"
    with pytest.raises(UsageError, match="no verifier agency"):
        pick_agency(None, "verifier", home)
    assert [a["name"] for a in list_agencies(home)] == ["rideco"]
    # An operator-supplied seed for a real network.
    seed_file = tmp_path / "endorsed.seed"
    seed_file.write_text("0" * 31 + "1\n")
    init_agency("real", EXAMPLES / "agencies" / "employer.yaml", seed_file=seed_file, home=home)
    assert did_seed(load_agency("real", home), create=False) == "0" * 31 + "1"
    seed_file.write_text("short\n")
    with pytest.raises(InvalidInputError, match="32 characters"):
        init_agency("bad", EXAMPLES / "agencies" / "employer.yaml", seed_file=seed_file, home=home)


def test_real_network_without_a_seed_is_a_clear_error(tmp_path):
    from ssi_wallet.agency.runtime import init_agency, load_agency, register_identity
    from ssi_wallet.network import Network

    home = tmp_path / "home"
    init_agency("rideco", EXAMPLES / "agencies" / "employer.yaml", home=home)
    genesis = tmp_path / "public" / "genesis.txn"
    genesis.parent.mkdir()
    genesis.write_text("{}\n")
    with pytest.raises(UsageError, match="supply the seed of a DID endorsed there"):
        register_identity(load_agency("rideco", home), Network(genesis, False, None))
