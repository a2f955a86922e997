"""Running an agency: its directory, secrets, ledger identity and ACA-Py agent(s).

    $SSI_WALLET_HOME/agencies/<name>/
        agency.yaml                 the agency's file (copied by `agency init`, paths absolute)
        secrets/did.seed            0600: the seed of the agency's public DID (ACA-Py --seed)
        secrets/wallet.key          0600: the askar wallet key (base58 raw key)
        secrets/postgres.password   0600, optional: PostgreSQL password (wallet + case store)
        agent/                      instance 0: ACAPY_HOME (sqlite wallet, run/agent.json, log)
        agent-1/, agent-2/ ...      further instances (PostgreSQL wallet only)
        agency.db                   the agency's store (unless case_store is a postgresql URL)
        identity.json               the public DID and verkey, and where it was registered

Secrets reach ACA-Py through the agent supervisor's argument-file pipe (never argv, the
environment of the agent, or a log). Agencies are servers: no keyring, files 0600.

On the embedded ledger (the home's own, or any ledger whose data directory we hold the
trustee seed of) the public DID is registered as ENDORSER at every start (idempotent).
On another network the operator supplies the seed of a DID already endorsed there:
`ssi-wallet agency init NAME --from FILE --seed-file PATH`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ssi_wallet.agent.spec import UNUSED_PLUGINS as SPEC_UNUSED_PLUGINS
from ssi_wallet.agent.spec import plugin_flags
from ssi_wallet.config import data_home
from ssi_wallet.errors import (
    InvalidInputError,
    NotFoundError,
    ServiceError,
    UsageError,
)
from ssi_wallet.files import private_dir, read_json, write_json, write_secret

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agent.admin import AdminClient
    from ssi_wallet.agent.running import AgentRuntime
    from ssi_wallet.agent.spec import AgentSpec
    from ssi_wallet.network import Network

AGENCY_FILE = "agency.yaml"
AGENCY_FLAGS = (
    "--auto-accept-requests",  # connection requests on our invitations
    "--auto-ping-connection",
    "--auto-respond-credential-request",  # issue on request (offers also set auto_issue)
    "--notify-revocation",
    "--auto-verify-presentation",
)
#: ACA-Py plugins an agency never uses: those no agent of ours uses, and holding
#: credentials (`spec.UNUSED_PLUGINS`).
UNUSED_PLUGINS = (*SPEC_UNUSED_PLUGINS, "aries_cloudagent.holder")
PG_PASSWORD_ENV = "SSI_WALLET_PG_PASSWORD"
_PATH_KEYS = ("credential_types", "policies")


def agencies_dir(home: Path | None = None) -> Path:
    return (home or data_home()) / "agencies"


def agency_dir(name: str, home: Path | None = None) -> Path:
    return agencies_dir(home) / name


# ------------------------------------------------------------------ init, load, list


def init_agency(
    name: str,
    source: Path,
    *,
    seed_file: Path | None = None,
    force: bool = False,
    home: Path | None = None,
) -> dict[str, Any]:
    """Copy agency file `source` to `agencies/NAME/agency.yaml`, relative paths made
    absolute (relative to `source`), `name:` set to NAME. Optionally take the DID seed
    the operator got endorsed on a real network."""
    import yaml

    from ssi_wallet.agency.config import NAME_RE, parse_agency_config

    if not NAME_RE.match(name):
        raise UsageError(f"{name!r}: an agency name is lowercase letters, digits and dashes")
    source = Path(source).expanduser()
    from ssi_wallet.agency.config import read_agency_yaml

    doc = read_agency_yaml(source)
    base = source.resolve().parent
    for key in _PATH_KEYS:
        value = doc.get(key)
        if isinstance(value, list):
            doc[key] = [str((base / v).resolve()) if isinstance(v, str) else v for v in value]
    ledger = doc.get("ledger")
    if (
        isinstance(ledger, str)
        and ledger != "embedded"
        and "://" not in ledger
        and not Path(ledger).is_absolute()
    ):
        doc["ledger"] = str((base / ledger).resolve())
    doc["name"] = name
    root = agency_dir(name, home)
    target = root / AGENCY_FILE
    if target.exists() and not force:
        raise UsageError(
            f"agency {name} exists already ({target})",
            hint="pass --force to replace its file (secrets and store are kept)",
        )
    parse_agency_config(doc, target)  # check before writing anything
    seed = None
    if seed_file is not None:
        seed = Path(seed_file).expanduser().read_text().strip()
        _check_seed(seed, str(seed_file))
    private_dir(root)
    from ssi_wallet.files import atomic_write

    text = f"# Copied from {source.resolve()} by `ssi-wallet agency init`.\n" + yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True
    )
    atomic_write(target, text)
    if seed is not None:
        write_secret(private_dir(root / "secrets") / "did.seed", seed + "\n")
    config = load_agency(name, home)
    return {
        "name": name,
        "path": str(target),
        "roles": list(config.roles),
        "label": config.label,
        "seed_supplied": seed_file is not None,
    }


def load_agency(name: str, home: Path | None = None) -> AgencyConfig:
    from ssi_wallet.agency.config import load_agency_config

    path = agency_dir(name, home) / AGENCY_FILE
    if not path.is_file():
        known = ", ".join(a["name"] for a in list_agencies(home, with_status=False)) or "none"
        raise NotFoundError(
            f"no agency {name!r} (agencies here: {known})",
            hint=f"create it: ssi-wallet agency init {name} --from FILE",
        )
    return load_agency_config(path)


def list_agencies(home: Path | None = None, *, with_status: bool = True) -> list[dict[str, Any]]:
    from ssi_wallet.agency.config import load_agency_config

    base = agencies_dir(home)
    out = []
    if not base.is_dir():
        return out
    for path in sorted(base.glob(f"*/{AGENCY_FILE}")):
        entry: dict[str, Any] = {"name": path.parent.name, "path": str(path)}
        try:
            config = load_agency_config(path)
        except Exception as error:  # noqa: BLE001 - a broken file is listed, not fatal
            entry["error"] = str(error)
            out.append(entry)
            continue
        entry.update({"label": config.label, "roles": list(config.roles)})
        if with_status:
            entry["running"] = [r is not None for r in instance_runtimes(config)]
        out.append(entry)
    return out


def pick_agency(name: str | None, role: str, home: Path | None = None) -> AgencyConfig:
    """The agency NAME, or the only agency with `role` when no name is given."""
    if name:
        config = load_agency(name, home)
        if not config.has_role(role):
            raise UsageError(
                f"agency {name} does not have the {role} role "
                f"(its roles: {', '.join(config.roles)})"
            )
        return config
    candidates = [a for a in list_agencies(home, with_status=False) if role in a.get("roles", [])]
    if len(candidates) == 1:
        return load_agency(candidates[0]["name"], home)
    if not candidates:
        raise UsageError(
            f"no {role} agency here",
            hint="create one: ssi-wallet agency init NAME --from examples/agencies/employer.yaml",
        )
    raise UsageError(
        f"several {role} agencies ({', '.join(a['name'] for a in candidates)}): "
        "choose one with --agency NAME"
    )


# ------------------------------------------------------------------ secrets and identity


def _check_seed(seed: str, where: str) -> None:
    if len(seed.encode()) != 32 or seed.startswith("-") or any(c.isspace() for c in seed):
        raise InvalidInputError(f"{where}: a DID seed is 32 characters (e.g. 32 hex digits)")


def _secret_file(config: AgencyConfig, name: str, make) -> str:
    path = config.root / "secrets" / name
    if path.is_file():
        return path.read_text().strip()
    private_dir(path.parent)
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # a concurrent start made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return value


def did_seed(config: AgencyConfig, *, create: bool = True) -> str | None:
    path = config.root / "secrets" / "did.seed"
    if not create and not path.is_file():
        return None
    seed = _secret_file(config, "did.seed", lambda: secrets.token_hex(16))
    _check_seed(seed, str(path))
    return seed


def wallet_key(config: AgencyConfig) -> str:
    import base58

    return _secret_file(
        config, "wallet.key", lambda: base58.b58encode(secrets.token_bytes(32)).decode()
    )


def postgres_password(config: AgencyConfig) -> str | None:
    """From the controller's environment or the agency's 0600 file, never the YAML."""
    from ssi_wallet.agency.db import agency_database_password

    return agency_database_password(config)


@dataclass(frozen=True)
class Identity:
    did: str
    verkey: str


def public_identity(config: AgencyConfig, *, create: bool = True) -> Identity | None:
    from ssi_wallet.ledger.keys import KeyPair

    seed = did_seed(config, create=create)
    if seed is None:
        return None
    keys = KeyPair.from_seed(seed)
    return Identity(keys.did, keys.verkey)


# ------------------------------------------------------------------ network


def agency_network(
    config: AgencyConfig, home: Path | None = None, *, start_ledger: bool = True
) -> Network:
    from ssi_wallet.network import resolve_network

    genesis = None if config.ledger in ("embedded", "", None) else config.ledger
    return resolve_network(genesis=genesis, start=start_ledger, home=home or data_home())


def controlled_ledger(network: Network):
    """The LedgerService of the network when we hold its trustee key (the embedded
    ledger, or a development ledger whose data directory is the genesis file's)."""
    from ssi_wallet.ledger.service import LedgerService

    root = Path(network.genesis_file).parent
    if (root / "ledger.json").is_file() and (root / "trustee.seed").is_file():
        return LedgerService(root)
    return None


def register_identity(config: AgencyConfig, network: Network) -> dict[str, Any]:
    """Make sure the agency's public DID is on the ledger as ENDORSER (when we can)."""
    ledger = controlled_ledger(network)
    if ledger is None:
        identity = public_identity(config, create=False)
        if identity is None:
            raise UsageError(
                f"agency {config.name} uses the network {network.genesis_file}: supply the "
                "seed of a DID endorsed there",
                hint=f"ssi-wallet agency init {config.name} --from FILE --force "
                "--seed-file PATH (32 characters, kept 0600)",
            )
        return {"did": identity.did, "verkey": identity.verkey, "registered": "by operator"}
    identity = public_identity(config)
    assert identity is not None
    if ledger.pid() is None:
        raise ServiceError(
            f"the ledger in {ledger.dd.root} is not running", hint="ssi-wallet ledger start"
        )
    result = ledger.register(identity.did, identity.verkey, "ENDORSER")
    doc = {
        "did": identity.did,
        "verkey": identity.verkey,
        "role": "ENDORSER",
        "ledger": str(network.genesis_file),
        "seq_no": result.get("seq_no"),
    }
    write_json(config.root / "identity.json", doc)
    return {**doc, "registered": "embedded ledger"}


# ------------------------------------------------------------------ agent specs


def instance_root(config: AgencyConfig, index: int) -> Path:
    return config.root / ("agent" if index == 0 else f"agent-{index}")


def wallet_name(config: AgencyConfig) -> str:
    return "agency_" + config.name.replace("-", "_")


def _storage(config: AgencyConfig):
    from ssi_wallet.agent.spec import PostgresStorage, SqliteStorage

    storage = str(config.agent.wallet_storage or "sqlite")
    if storage == "sqlite":
        return SqliteStorage()
    if not storage.startswith(("postgres://", "postgresql://")):
        raise InvalidInputError(
            f"{config.path}: agent.wallet_storage must be 'sqlite' or postgres://ACCOUNT@HOST:PORT"
        )
    parts = urlsplit(storage)
    if parts.password:
        raise InvalidInputError(
            f"{config.path}: no password in agent.wallet_storage; put it in "
            f"{config.root / 'secrets' / 'postgres.password'} (0600) or ${PG_PASSWORD_ENV}"
        )
    if not parts.hostname or not parts.username:
        raise InvalidInputError(
            f"{config.path}: agent.wallet_storage must name an account "
            "and a host: postgres://ACCOUNT@HOST:PORT"
        )
    password = postgres_password(config)
    if not password:
        raise UsageError(
            f"agency {config.name}: no PostgreSQL password for {parts.username}",
            hint=f"write it to {config.root / 'secrets' / 'postgres.password'} (mode 0600) "
            f"or set {PG_PASSWORD_ENV} for the controller",
        )
    return PostgresStorage(
        url=f"{parts.hostname}:{parts.port or 5432}",
        account=parts.username,
        password=password,
        admin_account=parts.username,
        admin_password=password,
        max_connections=int(config.settings.get("wallet_max_connections", 10)),
    )


def agency_specs(config: AgencyConfig, network: Network) -> list[AgentSpec]:
    from ssi_wallet.agent.spec import AgentSpec

    seed = did_seed(config, create=controlled_ledger(network) is not None)
    key = wallet_key(config)
    storage = _storage(config)
    settings = config.settings
    webhooks = settings.get("webhook_urls") or []
    if isinstance(webhooks, str):
        webhooks = [webhooks]
    role_flags: tuple[str, ...] = ()
    if config.has_role("verifier"):
        from ssi_wallet.agency.serve import webhook_url

        # decisions are made by `serve`; a URL listed twice would deliver every event twice
        webhooks = list(dict.fromkeys([*webhooks, webhook_url(config)]))
        # Events carry the whole exchange record (ACA-Py builds it for every event
        # anyway, then trims it): `serve` decides on the finished exchange it is sent
        # instead of reading it back from a busy agent (16-34 ms per decision).
        role_flags = ("--debug-webhooks",)
    for url in webhooks:
        host = urlsplit(url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise InvalidInputError(f"{config.path}: webhook URL {url} is not on loopback")
    extra = settings.get("agent_flags") or []
    if not isinstance(extra, list) or not all(isinstance(f, str) for f in extra):
        raise InvalidInputError(f"{config.path}: settings.agent_flags must be a list of strings")
    tails = network.tails_server_url
    specs = []
    for index in range(config.agent.instances):

        def port(base: int | None, index: int = index) -> int | None:
            return None if base is None else base + index

        specs.append(
            AgentSpec(
                name=f"agency {config.name}" + (f" #{index}" if index else ""),
                root=instance_root(config, index),
                label=config.label,
                wallet_name=wallet_name(config),
                wallet_key=key,
                genesis_file=network.genesis_file,
                seed=seed,
                admin_port=port(config.agent.admin_port),
                inbound_host=config.agent.inbound_host,
                inbound_port=port(config.agent.inbound_port),
                endpoint=config.agent.endpoint if index == 0 else None,
                webhook_urls=tuple(webhooks),
                tails_server_base_url=tails,
                tails_server_upload_url=tails,
                flags=(*AGENCY_FLAGS, *role_flags, *plugin_flags(UNUSED_PLUGINS, extra),
                       *extra),
                storage=storage,
            )
        )
    return specs


# ------------------------------------------------------------------ start / stop / status


def instance_runtimes(config: AgencyConfig) -> list[AgentRuntime | None]:
    from ssi_wallet.agent import process

    count = max(config.agent.instances, _existing_instances(config))
    return [process.status(instance_root(config, i)) for i in range(count)]


def _existing_instances(config: AgencyConfig) -> int:
    count = 1
    while instance_root(config, count).is_dir():
        count += 1
    return count


def start_agency(name: str, home: Path | None = None, *, timeout: float = 90,
                 with_status: bool = True) -> dict[str, Any]:
    """Start every instance not running yet; registers the DID first when we can.

    A verifier's `serve` starts alongside its agent (it catches up once the agent
    answers), so the two start-ups overlap. `with_status=False` skips the status read
    (an admin call to each busy, just-started agent) for callers that do not show it.
    """
    from concurrent.futures import ThreadPoolExecutor

    from ssi_wallet.agent import process

    config = load_agency(name, home)
    network = agency_network(config, home)
    identity = register_identity(config, network)
    specs = agency_specs(config, network)
    _open_store(config)   # before serve: its migrations are not raced by two processes
    with ThreadPoolExecutor(max_workers=1) as pool:
        serving = pool.submit(_ensure_serving, config) if config.has_role("verifier") \
            else None
        started = []
        for spec in specs:  # one after another: the first provisions a shared wallet
            _runtime, now = process.ensure_running(spec, timeout=timeout)
            started.append(now)
        if serving is not None:
            serving.result()
    doc = agency_status(name, home) if with_status else {"name": name, "running": True}
    doc["started"] = started
    doc["registration"] = identity.get("registered")
    return doc


def _ensure_serving(config: AgencyConfig) -> None:
    from ssi_wallet.agency.serve import serve_in_background, serve_status

    if not serve_status(config).get("running"):
        serve_in_background(config)


def stop_agency(name: str, home: Path | None = None) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    from ssi_wallet.agent import process

    config = load_agency(name, home)
    roots = [instance_root(config, i)
             for i in range(max(config.agent.instances, _existing_instances(config)))]
    # serve and the agents stop side by side: each takes a second or more to stop
    with ThreadPoolExecutor(max_workers=len(roots) + 1) as pool:
        if config.has_role("verifier"):
            from ssi_wallet.agency.serve import stop_background

            pool.submit(stop_background, config)
        stopped = list(pool.map(process.stop, roots))
    return {"name": name, "stopped": stopped}


def agency_status(name: str, home: Path | None = None) -> dict[str, Any]:
    config = load_agency(name, home)
    identity = public_identity(config, create=False)
    instances = []
    for index, runtime in enumerate(instance_runtimes(config)):
        entry: dict[str, Any] = {
            "index": index,
            "running": runtime is not None,
            "root": str(instance_root(config, index)),
        }
        if runtime is not None:
            entry.update(
                {
                    "pid": runtime.pid,
                    "admin_url": runtime.admin_url,
                    "endpoint": runtime.endpoint,
                    "started_at": runtime.started_at,
                }
            )
            entry["public_did"] = _public_did(runtime)
        instances.append(entry)
    from ssi_wallet.agency.db import agency_database_url, redact_url

    doc: dict[str, Any] = {
        "name": config.name,
        "label": config.label,
        "roles": list(config.roles),
        "running": any(i["running"] for i in instances),
        "did": identity.did if identity else None,
        "verkey": identity.verkey if identity else None,
        "ledger": config.ledger,
        "wallet_storage": redact_url(str(config.agent.wallet_storage)),
        "store": redact_url(agency_database_url(config)),
        "instances": instances,
    }
    if config.has_role("verifier"):
        from ssi_wallet.agency.serve import serve_status

        doc["serve"] = serve_status(config)
    return doc


def _public_did(runtime: AgentRuntime) -> str | None:
    from ssi_wallet.agent.admin import AdminClient

    try:
        with AdminClient.from_runtime(runtime, timeout=5) as client:
            result = (client.get("/wallet/did/public") or {}).get("result") or {}
            return result.get("did")
    except Exception:  # noqa: BLE001 - status must not fail on a busy agent
        return None


def _open_store(config: AgencyConfig) -> None:
    if config.has_role("issuer"):
        from ssi_wallet.agency.issued_store import open_issued_store

        open_issued_store(config)
    else:
        from ssi_wallet.agency.db import open_agency_database

        open_agency_database(config)._ensure_migrations_table()


def agency_client(config: AgencyConfig, instance: int = 0, *, timeout: float = 30) -> AdminClient:
    """An admin client for a running instance of the agency (it is not started here:
    agencies are servers, started on purpose)."""
    from ssi_wallet.agent import process
    from ssi_wallet.agent.admin import AdminClient

    runtime = process.status(instance_root(config, instance))
    if runtime is None:
        raise ServiceError(
            f"agency {config.name} is not running"
            + (f" (instance {instance})" if instance else ""),
            hint=f"start it with: ssi-wallet agency start {config.name}",
        )
    client = AdminClient.from_runtime(runtime, timeout=timeout)
    client.name = f"agency {config.name}"
    return client


def running_clients(config: AgencyConfig, *, timeout: float = 30) -> list[AdminClient]:
    """Admin clients of every running instance (at least instance 0 must run)."""
    clients = [agency_client(config, 0, timeout=timeout)]
    for index in range(1, config.agent.instances):
        try:
            clients.append(agency_client(config, index, timeout=timeout))
        except ServiceError:
            continue
    return clients


def read_identity_file(config: AgencyConfig) -> dict[str, Any] | None:
    path = config.root / "identity.json"
    return read_json(path) if path.is_file() else None
