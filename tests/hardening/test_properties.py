"""Property tests for the parsers the unit tests did not cover yet: genesis files, CSV
batches, ledger requests (the node's dispatcher), agency files, proof-request records,
credential types. Whatever the input: a result or one `SsiWalletError` line (or a REQNACK
/ REJECT from the ledger), never another exception."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssi_wallet.errors import SsiWalletError
from tests.plugins.income import INCOME_RAW
from tests.plugins.ledger import WRITE_TYPES

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def _one_line(error: Exception) -> None:
    text = str(error)
    assert text and "\n" not in text and len(text) < 2000


# ------------------------------------------------------------------ genesis


NODE = {
    "alias": "Node1",
    "client_ip": "127.0.0.1",
    "client_port": 9702,
    "node_ip": "127.0.0.1",
    "node_port": 9701,
    "services": ["VALIDATOR"],
}


def _txn(data: object) -> dict:
    return {"txn": {"data": {"data": data, "dest": "x"}, "type": "0"}, "ver": "1"}


@SETTINGS
@given(
    lines=st.lists(
        st.one_of(
            st.text(max_size=60),
            json_values.map(json.dumps),
            st.dictionaries(st.sampled_from(sorted(NODE)), json_values, max_size=6).map(
                lambda d: json.dumps(_txn({**NODE, **d}))
            ),
        ),
        max_size=6,
    )
)
def test_genesis_check_never_crashes(lines: list[str]) -> None:
    from ssi_wallet.network import _check_genesis

    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    try:
        _check_genesis(raw, "g.txn")
    except SsiWalletError as error:
        _one_line(error)


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_genesis_check_takes_any_bytes(raw: bytes) -> None:
    from ssi_wallet.network import _check_genesis

    try:
        _check_genesis(raw, "g.txn")
    except SsiWalletError as error:
        _one_line(error)


def test_genesis_accepts_a_good_validator_line() -> None:
    from ssi_wallet.network import _check_genesis

    _check_genesis(json.dumps(_txn(NODE)).encode(), "g.txn")


# ------------------------------------------------------------------ CSV batches


@pytest.fixture(scope="module")
def income_type():
    from ssi_wallet.agency.credential_types import load_credential_type

    root = Path(__file__).resolve().parents[2]
    return load_credential_type(root / "examples" / "credentials" / "income-statement.yaml")


COLUMNS = ["connection_id", "row_id", *INCOME_RAW]  # a batch file's header
cells = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        ["2026-10", "1234.00 EUR", "150000", "2026-10-31", "20261031", "", '"', ",", "\r\n"]
    ),
)


@SETTINGS
@given(
    header=st.lists(st.sampled_from(COLUMNS + ["x", ""]), max_size=11) | st.just(COLUMNS),
    rows=st.lists(st.lists(cells, max_size=11), max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
)
def test_csv_rows_never_crash(tmp_path_factory, income_type, header, rows, encoding) -> None:
    import csv
    import io

    from ssi_wallet.agency.batch import read_rows

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("csv") / "b.csv"
    try:
        path.write_bytes(buffer.getvalue().encode(encoding, "surrogatepass"))
    except UnicodeEncodeError:
        return
    try:
        good, bad = read_rows(path, income_type)
    except SsiWalletError as error:
        _one_line(error)
        return
    for row in good:
        assert row.connection_id and row.key.startswith("IncomeStatement/")
        for value in row.raw.values():
            assert value and value.isprintable()
    for row in bad:
        assert row.status == "invalid" and row.error and row.line >= 2


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(COLUMNS[2:]), cells, max_size=8))
def test_credential_values_encode_or_say_why(income_type, values) -> None:
    problems = income_type.problems(values)
    if problems:
        with pytest.raises(SsiWalletError):
            income_type.encode(values)
        return
    encoded = income_type.encode(values)
    for attribute in income_type.attributes:
        if attribute.type != "text":
            assert -(2**31) <= int(encoded[attribute.name]) < 2**31


# ------------------------------------------------------------------ ledger requests


@pytest.fixture
def dispatcher(tmp_path):
    from ssi_wallet.ledger.core import LedgerCore
    from ssi_wallet.ledger.genesis import nym_genesis_txn
    from ssi_wallet.ledger.keys import KeyPair
    from ssi_wallet.ledger.server import Dispatcher
    from ssi_wallet.ledger.storage import TxnStore

    trustee = KeyPair.from_seed("000000000000000000000000Trustee1")
    store = TxnStore(tmp_path / "l.sqlite", "OFF")
    core = LedgerCore(store, [], [nym_genesis_txn(1, trustee.did, trustee.verkey, "0", None)])
    yield Dispatcher(core)
    store.close()


# Reads are answered (REPLY) without a signature; nothing else may be.
READ_OPS = ["3", "105", "107", "108", "115", "116", "117", "119", "120", "4", "5"]
OPS = [*WRITE_TYPES, "104", *READ_OPS, "9999"]
operation = st.fixed_dictionaries(
    {"type": st.sampled_from(OPS)},
    optional={
        "dest": json_values | st.just("V4SGRU86Z58d6TV7PBUe6f"),
        "verkey": json_values,
        "role": json_values,
        "data": json_values,
        "ledgerId": json_values,
        "ref": json_values,
        "signature_type": json_values,
        "tag": json_values,
        "origin": json_values,
        "raw": json_values,
        "timestamp": json_values,
        "from": json_values,
        "to": json_values,
        "revocRegDefId": json_values,
        "value": json_values,
        "credDefId": json_values,
    },
)
request = st.fixed_dictionaries(
    {"operation": operation | json_values},
    optional={
        "identifier": json_values | st.just("V4SGRU86Z58d6TV7PBUe6f"),
        "reqId": st.integers(0, 2**63) | json_values,
        "protocolVersion": json_values,
        "signature": json_values,
        "signatures": json_values,
        "endorser": json_values,
        "taaAcceptance": json_values,
    },
)


@SETTINGS
@given(req=request)
def test_ledger_answers_every_request(dispatcher, req) -> None:
    reply = json.loads(dispatcher(json.dumps(req).encode()))
    assert reply["op"] in ("REPLY", "REQNACK", "REJECT"), reply
    assert "internal error" not in str(reply.get("reason", "")), reply
    if reply["op"] == "REPLY":  # nothing unsigned is ever written
        assert str((req.get("operation") or {}).get("type")) in READ_OPS, reply


@SETTINGS
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_ledger_answers_any_frame(dispatcher, raw) -> None:
    reply = dispatcher(raw)
    if raw == b"pi":
        assert reply == b"po"
        return
    doc = json.loads(reply)
    assert doc["op"] in ("REPLY", "REQNACK", "REJECT", "LEDGER_STATUS"), doc
    assert "internal error" not in str(doc.get("reason", "")), doc


# ------------------------------------------------------------------ agency files


agency_docs = st.fixed_dictionaries(
    {"name": st.just("municipality") | json_values},
    optional={
        "label": json_values,
        "roles": st.just(["issuer"]) | json_values,
        "ledger": json_values,
        "agent": st.dictionaries(
            st.sampled_from(
                [
                    "admin_port",
                    "inbound_host",
                    "inbound_port",
                    "endpoint",
                    "wallet_storage",
                    "instances",
                    "x",
                ]
            ),
            json_values,
            max_size=4,
        )
        | json_values,
        "case_store": json_values,
        "credential_types": json_values,
        "policies": json_values,
        "figures": st.dictionaries(
            st.text(max_size=8),
            st.lists(
                st.fixed_dictionaries(
                    {
                        "from": json_values | st.dates().map(dt.date.isoformat) | st.dates(),
                        "value": json_values,
                    }
                ),
                max_size=3,
            )
            | json_values,
            max_size=3,
        )
        | json_values,
        "settings": json_values,
        "extra": json_values,
    },
)


@SETTINGS
@given(doc=agency_docs)
def test_agency_config_parses_or_says_why(doc) -> None:
    from ssi_wallet.agency.config import parse_agency_config

    try:
        config = parse_agency_config(doc, Path("/tmp/agency.yaml"))
    except SsiWalletError as error:
        _one_line(error)
        return
    assert config.name == doc["name"] and config.roles
    assert isinstance(config.agent.instances, int) and config.agent.instances >= 1


@SETTINGS
@given(doc=agency_docs)
def test_agency_file_loads_or_says_why(tmp_path_factory, doc) -> None:
    from ssi_wallet.agency.config import load_agency_config

    path = tmp_path_factory.mktemp("agency") / "agency.yaml"
    path.write_text(
        yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8", errors="surrogatepass"
    )
    try:
        load_agency_config(path)
    except SsiWalletError as error:
        _one_line(error)


# ------------------------------------------------------------------ proof requests


spec = st.dictionaries(
    st.sampled_from(["name", "names", "p_type", "p_value", "restrictions", "non_revoked"]),
    json_values,
    max_size=5,
)
indy = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values,
        "nonce": json_values,
        "non_revoked": json_values,
        "requested_attributes": st.dictionaries(st.text(max_size=5), spec, max_size=3)
        | json_values,
        "requested_predicates": st.dictionaries(st.text(max_size=5), spec, max_size=3)
        | json_values,
    },
)


@SETTINGS
@given(body=indy, rid=st.just("p-1") | json_values)
def test_proof_request_records_parse_or_say_why(body, rid) -> None:
    from ssi_wallet.holder.models import ProofRequest

    record = {
        "pres_ex_id": rid,
        "state": "request-received",
        "by_format": {"pres_request": {"indy": body}},
    }
    try:
        request = ProofRequest.from_record(record)
    except SsiWalletError as error:
        _one_line(error)
        return
    for p in request.predicates:
        assert p.p_type in (">=", ">", "<=", "<") and isinstance(p.p_value, int)
    for a in request.attributes:
        assert a.names and all(isinstance(n, str) for n in a.names)
    request.to_json()


# ------------------------------------------------------------------ credential types


@SETTINGS
@given(
    doc=st.fixed_dictionaries(
        {},
        optional={
            "name": st.just("Income") | json_values,
            "version": st.just("1.0") | json_values,
            "description": json_values,
            "attributes": st.dictionaries(
                st.text(max_size=8),
                st.sampled_from(["text", "money", "date", "month", "integer", "blob"])
                | json_values,
                max_size=3,
            )
            | json_values,
        },
    )
)
def test_credential_types_parse_or_say_why(doc) -> None:
    from ssi_wallet.agency.credential_types import parse_credential_type

    try:
        parse_credential_type(doc)
    except SsiWalletError as error:
        _one_line(error)
