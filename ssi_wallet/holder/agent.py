"""The citizen's holder agent: a stock ACA-Py process with the wallet, supervised here.

Commands that need the agent call `holder_client()`, which starts it when it is not
running (and says so on stderr). The agent never answers proof requests or accepts
offers by itself; it only stores a credential the citizen accepted.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ssi_wallet.config import data_home, get_setting, load_config, save_config, set_setting
from ssi_wallet.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient
    from ssi_wallet.agent.running import AgentRuntime
    from ssi_wallet.agent.spec import AgentSpec

WALLET_NAME = "citizen"
DEFAULT_LABEL = "Citizen wallet"
HOLDER_FLAGS = (
    "--auto-store-credential",
    "--auto-ping-connection",
    "--plugin", "ssi_wallet.acapy_plugin",
)


@dataclass(frozen=True)
class HolderPaths:
    root: Path

    @property
    def wallet_db(self) -> Path:
        return self.root / "wallet" / WALLET_NAME / "sqlite.db"

    @property
    def store_uri(self) -> str:
        return f"sqlite://{self.wallet_db}"

    @property
    def exists(self) -> bool:
        return (self.root / "keyinfo.json").exists()


def holder_paths(home: Path | None = None) -> HolderPaths:
    return HolderPaths((home or data_home()) / "holder")


def require_wallet(home: Path | None = None) -> HolderPaths:
    paths = holder_paths(home)
    if not paths.exists:
        raise NotFoundError("no wallet here yet", hint="create one with: ssi-wallet init")
    return paths


def holder_spec(home: Path | None = None, *, genesis: str | None = None,
                start_ledger: bool = True) -> AgentSpec:
    """The holder agent's settings, from config.toml and the wallet key."""
    from ssi_wallet.agent.spec import UNUSED_PLUGINS, AgentSpec, plugin_flags
    from ssi_wallet.holder.wallet_key import load_wallet_key
    from ssi_wallet.network import resolve_network

    home = home or data_home()
    paths = require_wallet(home)
    config = load_config(home)
    network = resolve_network(genesis=genesis, start=start_ledger, home=home)
    return AgentSpec(
        name="holder",
        root=paths.root,
        label=get_setting(config, "holder.label", DEFAULT_LABEL),
        wallet_name=WALLET_NAME,
        wallet_key=load_wallet_key(paths.root),
        genesis_file=network.genesis_file,
        admin_port=get_setting(config, "agent.admin_port"),
        inbound_host=get_setting(config, "agent.inbound_host", "127.0.0.1"),
        inbound_port=get_setting(config, "agent.inbound_port"),
        endpoint=get_setting(config, "agent.endpoint"),
        tails_server_base_url=network.tails_server_url,
        flags=(*HOLDER_FLAGS, *plugin_flags(UNUSED_PLUGINS)),
    )


def ensure_agent(home: Path | None = None) -> tuple[AgentRuntime, bool]:
    """The running holder agent, started first if needed (returns whether it was)."""
    from ssi_wallet.agent.running import status

    paths = require_wallet(home)
    runtime = status(paths.root)
    if runtime is not None:
        return runtime, False
    from ssi_wallet.agent import process
    from ssi_wallet.progress import notice

    notice("[dim]starting the wallet's agent…[/]")
    return process.ensure_running(holder_spec(home))


def holder_client(home: Path | None = None) -> AdminClient:
    """An admin-API client for the running holder agent (started on demand)."""
    from ssi_wallet.agent.admin import AdminClient

    runtime, _ = ensure_agent(home)
    return AdminClient.from_runtime(runtime)


def init_wallet(*, label: str | None, genesis: str | None, use_keyring: bool | None,
                home: Path | None = None) -> dict:
    """Create the wallet key, record settings, and provision the wallet by starting the
    agent once. Nothing is left half-made: on failure the new wallet is removed."""
    from ssi_wallet.agent import process
    from ssi_wallet.holder.wallet_key import create_wallet_key, delete_wallet_key

    home = home or data_home()
    paths = holder_paths(home)
    if paths.exists:
        raise UsageError(f"a wallet already exists in {paths.root}",
                         hint="use another --home, or: ssi-wallet wallet delete --yes")
    if genesis and not genesis.startswith(("http://", "https://")):
        from ssi_wallet.network import check_genesis_file

        check_genesis_file(genesis)  # a bad genesis file is refused before anything is made
    config = load_config(home)
    previous = dict(config)
    if label:
        set_setting(config, "holder.label", label)
    if genesis:
        set_setting(config, "ledger.genesis", genesis)
    paths.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    _key, info, fallback_reason = create_wallet_key(paths.root, WALLET_NAME,
                                                    use_keyring=use_keyring)
    try:
        save_config(config, home)
        runtime, _ = process.ensure_running(holder_spec(home))
    except BaseException:
        process.stop(paths.root)
        delete_wallet_key(paths.root)
        shutil.rmtree(paths.root, ignore_errors=True)
        save_config(previous, home)
        raise
    return {
        "wallet": str(paths.wallet_db),
        "label": get_setting(config, "holder.label", DEFAULT_LABEL),
        "key_storage": info.method,
        "keyring_fallback_reason": fallback_reason,
        "agent_pid": runtime.pid,
        "ledger": get_setting(config, "ledger.genesis") or "embedded",
    }
