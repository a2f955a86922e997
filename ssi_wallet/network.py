"""Which Indy network the agents use: the embedded development ledger by default, or any
genesis file or URL (a public test network, a consortium network) set in `config.toml`:

    ssi-wallet config set ledger.genesis /path/to/pool_transactions_genesis
    ssi-wallet config set ledger.genesis https://example.org/genesis
    ssi-wallet config set ledger.tails_server_url https://tails.example.org
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ssi_wallet.config import data_home, get_setting, load_config
from ssi_wallet.errors import InvalidInputError, NotFoundError, ServiceError
from ssi_wallet.files import atomic_write

MAX_GENESIS_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Network:
    """Where the ledger is, and where tails files for revocation go."""

    genesis_file: Path
    embedded: bool
    tails_server_url: str | None
    started_now: bool = False


def resolve_network(*, genesis: str | None = None, start: bool = True,
                    home: Path | None = None) -> Network:
    """The configured network; the embedded ledger is started when needed and allowed."""
    home = home or data_home()
    config = load_config(home)
    source = genesis or get_setting(config, "ledger.genesis")
    tails = get_setting(config, "ledger.tails_server_url")
    if source:
        return Network(_genesis_path(str(source), home), False, tails)
    from ssi_wallet.ledger.service import LedgerService

    service = LedgerService(home / "ledger")
    started = False
    if service.pid() is None:
        if not start:
            raise ServiceError("the embedded ledger is not running",
                               hint="start it with: ssi-wallet ledger start")
        from ssi_wallet.progress import notice

        notice("[dim]starting the embedded development ledger…[/]")
        info = service.ensure_running()
        started = True
    else:
        info = service.info()
    return Network(Path(info.genesis_path), True, tails or info.tails_server_url, started)


def _genesis_path(source: str, home: Path) -> Path:
    if source.startswith(("http://", "https://")):
        return _download(source, home / "network" / "genesis.txn")
    return check_genesis_file(source)


def check_genesis_file(source: str) -> Path:
    """A local genesis file, checked; its resolved path."""
    path = Path(source).expanduser()
    if not path.is_file():
        raise NotFoundError(f"genesis file {path} not found")
    with path.open("rb") as handle:
        _check_genesis(handle.read(MAX_GENESIS_BYTES + 1), str(path))
    return path.resolve()


def _download(url: str, target: Path) -> Path:
    import httpx

    try:
        response = httpx.get(url, timeout=20, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as error:
        if target.is_file():
            return target  # the last good copy keeps us working offline
        raise ServiceError(f"could not download genesis from {url}: {error}") from error
    _check_genesis(response.content, url)
    atomic_write(target, response.content)
    return target


def _check_genesis(raw: bytes, where: str) -> None:
    """A genesis file is JSON lines of pool transactions with at least one validator."""
    import json

    if len(raw) > MAX_GENESIS_BYTES:
        raise InvalidInputError(f"{where}: too large for a genesis file")
    validators = 0
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            txn = json.loads(line)
            data = txn["txn"]["data"]["data"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise InvalidInputError(
                f"{where}: line {number} is not a pool transaction"
            ) from None
        if not isinstance(data, dict):
            raise InvalidInputError(f"{where}: line {number} is not a pool transaction")
        services = data.get("services") or []
        if not isinstance(services, list):
            raise InvalidInputError(f"{where}: line {number}: services must be a list")
        if "VALIDATOR" in services:
            problem = _validator_problem(data)
            if problem:
                raise InvalidInputError(f"{where}: line {number}: {problem}")
            validators += 1
    if validators == 0:
        raise InvalidInputError(f"{where}: no validator nodes in the genesis file")


def _validator_problem(data: dict) -> str | None:
    """What a validator entry lacks for a client to reach it (None when usable)."""
    for key in ("alias", "client_ip", "node_ip"):
        if not isinstance(data.get(key), str) or not data[key]:
            return f"validator has no {key}"
    for key in ("client_port", "node_port"):
        port = data.get(key)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            return f"validator {data['alias'][:40]!r} has no valid {key}"
    return None
