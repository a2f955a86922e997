"""The bad-input corpus (`tests/corpus/*.jsonl`): every case gets a clear one-line error
and its exit code, stores nothing, and never shows a traceback.

- invitations, policies, scheme documents, agency files, genesis files: the real CLI in a
  subprocess, each case in a fresh empty data home (run two at a time).
- CSV rows, proof-request records, credential types: the parsers, in process.
- ledger requests: raw frames over ZMQ + CURVE to a real 1-node ledger this module starts;
  every case answered (REQNACK/REJECT), never an internal error, nothing written.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import base58
import pytest
import zmq
from zmq.utils import z85

from tests.plugins.cli import CliResult, run_ssi_wallet

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CLI_KINDS = ("invitation", "policy", "scheme", "agency", "genesis")
PASSPHRASE = "corpus passphrase, not a secret anywhere"


def _load() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                case = json.loads(line)
                case["_source"] = f"{path.name}:{number}"
                cases.append(case)
    return cases


CASES = _load()


def _ids(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    return [pytest.param(c, id=c["id"]) for c in CASES if c["kind"] in kinds]


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 200
    assert len({c["id"] for c in CASES}) == len(CASES), "case ids must be unique"
    for case in CASES:
        assert any(k in case for k in ("error", "row_error", "good_rows", "flag")), case["id"]


# ------------------------------------------------------------------ CLI cases


def _input_file(case: dict[str, Any], where: Path, name: str) -> Path:
    path = where / name
    if "b64" in case:
        path.write_bytes(base64.b64decode(case["b64"]))
    else:
        path.write_text(case["text"], encoding="utf-8", errors="surrogatepass")
    return path


def _cli_args(case: dict[str, Any], work: Path) -> tuple[list[str], str | None, dict[str, str]]:
    kind, env = case["kind"], {}
    stdin = None
    if kind == "invitation":
        if "arg" in case:
            target = case["arg"]
        elif "stdin" in case:
            target, stdin = "-", case["stdin"]
        else:
            target = str(_input_file(case, work, "invitation.json"))
        args = ["connect", target]
    elif kind == "policy":
        args = ["verifier", "policy", "validate", str(_input_file(case, work, "policy.yaml"))]
    elif kind == "scheme":
        args = ["schemes", "add", str(_input_file(case, work, "scheme.yaml"))]
    elif kind == "agency":
        args = [
            "agency",
            "init",
            case["name"],
            "--from",
            str(_input_file(case, work, "agency.yaml")),
        ]
    elif kind == "genesis":
        args = ["init", "--no-keyring", "--genesis", str(_input_file(case, work, "pool.txn"))]
        env = {"SSI_WALLET_PASSPHRASE": PASSPHRASE, "SSI_WALLET_NEW_PASSPHRASE": PASSPHRASE}
    else:  # pragma: no cover
        raise AssertionError(kind)
    if case.get("json"):
        args.append("--json")
    return args, stdin, env


def _run_cli_case(case: dict[str, Any], root: Path) -> tuple[CliResult, list[str]]:
    work = root / case["id"]
    home = work / "home"
    home.mkdir(parents=True, mode=0o700)
    args, stdin, env = _cli_args(case, work)
    try:
        result = run_ssi_wallet(home, *args, input=stdin, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        result = CliResult(args, -1, "", "TIMEOUT: the command did not finish in 60 s")
    stored = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    return result, stored


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every CLI case, run two at a time (the machine is shared)."""
    root = tmp_path_factory.mktemp("corpus")
    cases = [c for c in CASES if c["kind"] in CLI_KINDS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: _run_cli_case(c, root), cases))
    return {c["id"]: r for c, r in zip(cases, results, strict=True)}


@pytest.mark.parametrize("case", _ids(CLI_KINDS))
def test_cli_case(case: dict[str, Any], cli_results: dict[str, Any]) -> None:
    result, stored = cli_results[case["id"]]
    where = f"{case['id']} ({case['_source']})"
    check_one_error(result, case["exit"], case["error"], where, json_out=bool(case.get("json")))
    assert stored == [], (where, "stored", stored)


def check_one_error(result: CliResult, exit_code: int, words: str, where: str, *,
                    json_out: bool = False) -> None:
    """The corpus's rule for a refused command: its exit code, one `error:` line with
    `words` (at most a hint after it), no traceback or escape sequences, and stdout empty
    or exactly one JSON error document."""
    assert "Traceback" not in result.stderr, where
    assert result.returncode == exit_code, (where, result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, (where, result.stderr)
    line = errors[0]
    # one line: at most a hint follows it (and start-up notices may precede it)
    assert lines.index(line) >= len(lines) - 2, (where, result.stderr)
    assert not re.match(r"error: unexpected [A-Z]\w*(Error|Exception)", line), (where, line)
    assert words.lower() in line.lower(), (where, line)
    assert len(line) < 600, (where, len(line))
    assert "\x1b" not in result.stderr, (where, "terminal escape sequences in the error")
    if json_out:
        doc = json.loads(result.stdout)
        assert doc["ok"] is False and words.lower() in doc["error"]["message"].lower()
        assert result.stdout.endswith("}\n"), where
    elif exit_code != 2:
        assert result.stdout == "", (where, result.stdout)


# ------------------------------------------------------------------ in-process parsers


def _csv_type():
    from ssi_wallet.agency.credential_types import load_credential_type

    root = Path(__file__).resolve().parents[2]
    return load_credential_type(root / "examples" / "credentials" / "income-statement.yaml")


@pytest.mark.parametrize("case", _ids(("csv",)))
def test_csv_case(case: dict[str, Any], tmp_path: Path) -> None:
    from ssi_wallet.agency.batch import read_rows
    from ssi_wallet.errors import SsiWalletError

    path = _input_file(case, tmp_path, "batch.csv")
    ctype = _csv_type()
    if case["exit"]:
        with pytest.raises(SsiWalletError) as caught:
            read_rows(path, ctype)
        message = str(caught.value)
        assert "\n" not in message and len(message) < 600
        assert case["error"].lower() in message.lower(), message
        return
    good, bad = read_rows(path, ctype)
    if "good_rows" in case:
        assert len(good) == case["good_rows"] and not bad, bad
        return
    assert bad, "the bad row was not reported"
    assert any(case["row_error"] in (row.error or "") for row in bad), [r.error for r in bad]
    assert all(row.status == "invalid" and row.line >= 2 for row in bad)


@pytest.mark.parametrize("case", _ids(("proof_request",)))
def test_proof_request_case(case: dict[str, Any]) -> None:
    from ssi_wallet.errors import InvalidInputError
    from ssi_wallet.holder.models import ProofRequest

    with pytest.raises(InvalidInputError) as caught:
        ProofRequest.from_record(case["record"])
    message = str(caught.value)
    assert "\n" not in message and len(message) < 600
    assert case["error"].lower() in message.lower(), message


@pytest.mark.parametrize("case", _ids(("over_asking",)))
def test_over_asking_case(case: dict[str, Any]) -> None:
    from ssi_wallet.catalogue import parse_scheme
    from ssi_wallet.holder.models import ProofRequest
    from ssi_wallet.holder.schemes import over_asking

    scheme = parse_scheme(case["scheme"], "scheme", require_signature=False)
    flags = over_asking(ProofRequest.from_record(case["record"]), [scheme])
    if case["flag"] is None:
        assert flags == []
    else:
        assert any(case["flag"] in flag for flag in flags), flags
        assert all("\n" not in flag for flag in flags)


@pytest.mark.parametrize("case", _ids(("credential_type",)))
def test_credential_type_case(case: dict[str, Any], tmp_path: Path) -> None:
    from ssi_wallet.agency.credential_types import load_credential_type
    from ssi_wallet.errors import SsiWalletError

    path = _input_file(case, tmp_path, "type.yaml")
    with pytest.raises(SsiWalletError) as caught:
        load_credential_type(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 600
    assert case["error"].lower() in message.lower(), message


# ------------------------------------------------------------------ ledger requests


class RawNode:
    """One DEALER socket with CURVE to node 1 of a ledger: what any client could send."""

    def __init__(self, led) -> None:
        settings = led.service.dd.load()
        node = settings.nodes[0]
        from ssi_wallet.ledger.keys import curve_public_from_verkey

        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        pub, sec = zmq.curve_keypair()
        self.sock.curve_publickey, self.sock.curve_secretkey = pub, sec
        self.sock.curve_serverkey = z85.encode(curve_public_from_verkey(node.verkey))
        self.sock.connect(f"tcp://{settings.host}:{node.client_port}")

    def ask(self, frames: list[bytes], timeout: float = 10.0) -> dict[str, Any]:
        self.sock.send_multipart(frames)
        assert self.sock.poll(int(timeout * 1000)), "the ledger did not answer"
        return json.loads(self.sock.recv())

    def close(self) -> None:
        self.sock.close(0)


@pytest.fixture(scope="module")
def corpus_ledger(session_ledger_factory):
    return session_ledger_factory(nodes=1)


@pytest.fixture(scope="module")
def raw_node(corpus_ledger):
    node = RawNode(corpus_ledger)
    yield node
    node.close()


def _domain_size(node: RawNode) -> int:
    return node.ask(
        [json.dumps({"op": "LEDGER_STATUS", "ledgerId": 1, "protocolVersion": 2}).encode()]
    )["txnSeqNo"]


def _signed(request: dict[str, Any], keys) -> dict[str, Any]:
    from ssi_wallet.ledger.signing import signing_input

    request = {k: v for k, v in request.items() if k != "signature"}
    request["signature"] = base58.b58encode(keys.sign(signing_input(request))).decode()
    return request


def _recipe(case: dict[str, Any], led) -> dict[str, Any]:
    from ssi_wallet.ledger.keys import KeyPair

    trustee, target = led.trustee, KeyPair.generate()
    base = {"identifier": trustee.did, "reqId": time.time_ns(), "protocolVersion": 2}
    if case["recipe"] == "schema":
        op: dict[str, Any] = {
            "type": "101",
            "data": {"name": "Corpus", "version": "1.0", "attr_names": ["a"]},
        }
    else:
        op = {"type": "1", "dest": target.did, "verkey": target.verkey}
    request = {**base, "operation": op}
    mutate = case["mutate"]
    if mutate == "drop_data":
        request["operation"].pop("data")
    elif mutate == "attrs_string":
        request["operation"]["data"]["attr_names"] = "abc"
    elif mutate == "bad_verkey":
        request["operation"]["verkey"] = "not-a-verkey!"
    elif mutate == "endorser_number":
        request["endorser"] = 5
    elif mutate == "unknown_identifier":
        stranger = KeyPair.generate()
        return _signed({**request, "identifier": stranger.did}, stranger)
    elif mutate == "signed_by_nobody":
        nobody = KeyPair.generate()
        led.service.register(nobody.did, nobody.verkey, "none")
        request["operation"]["role"] = "0"  # a nobody making a TRUSTEE
        return _signed({**request, "identifier": nobody.did}, nobody)
    signed = _signed(request, trustee)
    if mutate == "drop_signature":
        signed.pop("signature")
    elif mutate == "flip_signature":
        raw = bytearray(base58.b58decode(signed["signature"]))
        raw[7] ^= 0x01
        signed["signature"] = base58.b58encode(bytes(raw)).decode()
    elif mutate == "garbage_signature":
        signed["signature"] = "0OIl+/not-base58"
    elif mutate == "other_signer":
        signed = _signed(request, KeyPair.generate())
    elif mutate == "change_dest":
        signed["operation"]["dest"] = KeyPair.generate().did
    elif mutate == "drop_identifier":
        signed.pop("identifier")
    elif mutate == "signatures_list":
        signed["signatures"] = [signed.pop("signature")]
    return signed


@pytest.mark.parametrize("case", _ids(("ledger",)))
def test_ledger_case(case: dict[str, Any], raw_node: RawNode, corpus_ledger) -> None:
    before = _domain_size(raw_node)
    if "frames_b64" in case:
        frames = [base64.b64decode(f) for f in case["frames_b64"]]
    elif "payload_b64" in case:
        frames = [base64.b64decode(case["payload_b64"])]
    elif "recipe" in case:
        frames = [json.dumps(_recipe(case, corpus_ledger)).encode()]
        before = _domain_size(raw_node)  # the recipe may register its own signer first
    else:
        frames = [case["payload"].encode()]
    reply = raw_node.ask(frames)
    expected = ("REQNACK", "REJECT") if case["op"] == "ANY" else (case["op"],)
    assert reply.get("op") in expected, reply
    reason = str(reply.get("reason", ""))
    assert reason and "internal error" not in reason, reply
    assert case["error"].lower() in reason.lower(), reason
    assert _domain_size(raw_node) == before, "a refused request was written"


def test_ledger_still_serves_after_the_corpus(raw_node: RawNode, corpus_ledger) -> None:
    from ssi_wallet.ledger.keys import KeyPair

    target = KeyPair.generate()
    request = _signed(
        {
            "identifier": corpus_ledger.trustee.did,
            "reqId": time.time_ns(),
            "protocolVersion": 2,
            "operation": {"type": "1", "dest": target.did, "verkey": target.verkey},
        },
        corpus_ledger.trustee,
    )
    reply = raw_node.ask([json.dumps(request).encode()])
    assert reply["op"] == "REPLY", reply
    assert os.path.exists(corpus_ledger.data_dir)
