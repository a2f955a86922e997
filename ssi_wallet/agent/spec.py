"""What an agent is: everything needed to start one stock ACA-Py process.

A spec is pure data. Fields marked SECRET are excluded from `repr` so a spec can be
logged or shown in a traceback without leaking them; `process` hands them to ACA-Py
through a pipe, never argv or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ssi_wallet.errors import UsageError

#: ACA-Py plugins none of our agents uses (menus, introductions, DID rotation, mediation,
#: endorser transactions, JSON-LD credentials and signing): not loading them saves
#: ~0.3 s of CPU per agent start (of ~2.5 s).
UNUSED_PLUGINS = tuple(f"aries_cloudagent.{name}" for name in (
    "protocols.actionmenu", "protocols.introduction", "protocols.did_rotate",
    "protocols.coordinate_mediation", "protocols.endorse_transaction", "vc",
    "messaging.jsonld"))


#: Our plugin every agent of ours loads: revocation registry definitions read from the
#: ledger once per cache lifetime, as ACA-Py reads credential definitions.
REGISTRY_CACHE_PLUGIN = "ssi_wallet.acapy_registry_cache"


def plugin_flags(unused: tuple[str, ...], flags: list[str] | tuple[str, ...] = ()
                 ) -> list[str]:
    """`--plugin` for the plugins every agent of ours loads, and `--block-plugin` for
    each of `unused` that `flags` do not load explicitly."""
    wanted = {flags[i + 1] for i, flag in enumerate(flags[:-1]) if flag == "--plugin"}
    return ["--plugin", REGISTRY_CACHE_PLUGIN,
            *(arg for name in unused if name not in wanted
              for arg in ("--block-plugin", name))]


@dataclass(frozen=True)
class SqliteStorage:
    """Askar's SQLite store at `<root>/wallet/<wallet_name>/sqlite.db` (the default)."""


@dataclass(frozen=True)
class PostgresStorage:
    """Askar's PostgreSQL store, for agencies; `url` is `host:port` as ACA-Py expects."""

    url: str
    account: str
    password: str = field(repr=False)  # SECRET
    admin_account: str | None = None
    admin_password: str | None = field(default=None, repr=False)  # SECRET
    max_connections: int | None = None


Storage = SqliteStorage | PostgresStorage


@dataclass(frozen=True)
class AgentSpec:
    """One agent's configuration; `root` is its private directory (ACAPY_HOME)."""

    name: str
    root: Path
    label: str
    wallet_name: str
    wallet_key: str = field(repr=False)  # SECRET: base58 raw key
    wallet_key_method: str = "RAW"
    genesis_file: Path | None = None  # None -> --no-ledger
    seed: str | None = field(default=None, repr=False)  # SECRET
    admin_host: str = "127.0.0.1"
    admin_port: int | None = None  # None -> a free port
    inbound_host: str = "127.0.0.1"
    inbound_port: int | None = None  # None -> a free port
    endpoint: str | None = None  # default http://inbound_host:inbound_port
    webhook_urls: tuple[str, ...] = ()
    tails_server_base_url: str | None = None
    tails_server_upload_url: str | None = None
    flags: tuple[str, ...] = ()
    storage: Storage = field(default_factory=SqliteStorage)
    log_level: str = "warning"

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))
        if self.genesis_file is not None:
            object.__setattr__(self, "genesis_file", Path(self.genesis_file))
        if not self.wallet_key:
            raise UsageError(f"agent {self.name}: no wallet key")
        # configargparse turns the settings back into arguments: a leading '-' would be
        # read as an option (ACA-Py then fails with a confusing message).
        for what, value in (("wallet key", self.wallet_key), ("seed", self.seed)):
            if value is not None and value.startswith("-"):
                raise UsageError(f"agent {self.name}: the {what} must not start with '-'")
        for what, value in (("label", self.label), ("wallet name", self.wallet_name)):
            if not value or value.startswith("-") or "\n" in value:
                raise UsageError(f"agent {self.name}: invalid {what} {value!r}")

    def secrets(self) -> tuple[str, ...]:
        """Every secret value of this spec (for redaction of log excerpts)."""
        values = [self.wallet_key, self.seed]
        values += [url.split("#", 1)[1] for url in self.webhook_urls if "#" in url]
        if isinstance(self.storage, PostgresStorage):
            values += [self.storage.password, self.storage.admin_password]
        return tuple(v for v in values if v)
