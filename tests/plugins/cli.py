"""Fixtures to run the real `ssi-wallet` CLI in a subprocess with a home of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class CliResult:
    """What one CLI invocation did."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The single JSON document a `--json` command printed on stdout."""
        return json.loads(self.stdout)

    def check(self) -> CliResult:
        assert self.returncode == 0, (
            f"ssi-wallet {' '.join(self.args)} exited {self.returncode}\n"
            f"stdout: {self.stdout}\nstderr: {self.stderr}"
        )
        return self


RunCli = Callable[..., CliResult]


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSI_WALLET_")}
    env.update({"SSI_WALLET_HOME": str(home), "COLUMNS": "120", "NO_COLOR": "1"})
    env.update(extra or {})
    return env


def run_ssi_wallet(home: Path, *args: str, input: str | None = None,
                   env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
    """Run `python -m ssi_wallet ARGS` with `home` as its data directory."""
    proc = subprocess.run(
        [sys.executable, "-m", "ssi_wallet", *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=cli_env(home, env),
        timeout=timeout,
    )
    return CliResult(list(args), proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def wallet_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    return home


@pytest.fixture
def run_cli(wallet_home: Path) -> RunCli:
    """`run_cli("config", "show", "--json", input=..., env=..., timeout=...)`."""

    def _run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
             timeout: float = 120, home: Path | None = None) -> CliResult:
        return run_ssi_wallet(home or wallet_home, *args, input=input, env=env,
                              timeout=timeout)

    return _run
