"""Fixtures for agents supervised by `ssi_wallet.agent` (our own start/stop code).

    def test_x(supervised_agents):
        alice, bob = supervised_agents.start_many("alice", "bob")
        alice.admin.get("/status")
        with alice.events() as events: ...

`supervised_agents` is module-scoped: agents started through it live until the test
module ends and are then stopped by PID. Every agent gets a root under the session's
tmp dir, a fresh random raw wallet key and `--no-ledger` unless overridden.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import base58
import pytest

from ssi_wallet.agent import process
from ssi_wallet.agent.admin import AdminClient
from ssi_wallet.agent.events import EventStream
from ssi_wallet.agent.running import AgentRuntime
from ssi_wallet.agent.spec import AgentSpec


def new_wallet_key() -> str:
    """A raw Askar key as the holder uses it: 32 random bytes, base58."""
    return base58.b58encode(secrets.token_bytes(32)).decode()


def make_spec(root: Path, name: str, **overrides: Any) -> AgentSpec:
    """A spec for a ledger-less agent named `name` living in `root`."""
    fields: dict[str, Any] = {
        "name": name,
        "root": root,
        "label": name.capitalize(),
        "wallet_name": name,
        "wallet_key": new_wallet_key(),
    }
    fields.update(overrides)
    return AgentSpec(**fields)


@dataclass
class SupervisedAgent:
    """A running agent started by `ssi_wallet.agent.process`, with an admin client."""

    spec: AgentSpec
    runtime: AgentRuntime
    admin: AdminClient = field(init=False)

    def __post_init__(self) -> None:
        self.admin = AdminClient.from_runtime(self.runtime)

    def events(self) -> EventStream:
        return EventStream.from_runtime(self.runtime)

    def refresh(self) -> SupervisedAgent:
        """After a restart: pick up the new runtime (port, key, pid)."""
        runtime = process.status(self.spec.root)
        assert runtime is not None, f"agent {self.spec.name} is not running"
        self.admin.close()
        self.runtime = runtime
        self.admin = AdminClient.from_runtime(runtime)
        return self


class AgentPool:
    """Starts agents for a module and stops all of them at its end."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.agents: dict[str, SupervisedAgent] = {}

    def spec(self, name: str, **overrides: Any) -> AgentSpec:
        return make_spec(self.base / name, name, **overrides)

    def start(self, name: str, **overrides: Any) -> SupervisedAgent:
        spec = overrides.pop("spec", None) or self.spec(name, **overrides)
        return self.start_spec(spec)

    def start_spec(self, spec: AgentSpec) -> SupervisedAgent:
        runtime = process.start(spec)
        agent = SupervisedAgent(spec, runtime)
        self.agents[spec.name] = agent
        return agent

    def start_many(self, *names: str) -> list[SupervisedAgent]:
        """Start several agents in parallel (each start is ~3 s of mostly waiting)."""
        with ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
            return list(pool.map(self.start, names))

    def stop_all(self) -> None:
        for agent in self.agents.values():
            agent.admin.close()
            process.stop(agent.spec.root)
        self.agents.clear()


@pytest.fixture(scope="module")
def supervised_agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentPool]:
    """A pool of supervised agents shared by one test module."""
    pool = AgentPool(tmp_path_factory.mktemp("agents"))
    try:
        yield pool
    finally:
        pool.stop_all()


__all__ = ["AgentPool", "SupervisedAgent", "make_spec", "new_wallet_key"]
