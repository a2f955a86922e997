"""The CLI's contract: light start-up, --json purity, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from ssi_wallet import __version__
from ssi_wallet.files import write_json, write_secret

HEAVY = ("aries_cloudagent", "indy_vdr", "zmq", "aries_askar", "anoncreds", "indy_credx")


def _help_in_a_fresh_process(*args: str) -> tuple[list[str], str]:
    """`ssi-wallet ARGS --help` in a new interpreter: the HEAVY modules it imported, and
    what it printed."""
    probe = (
        "import sys, json\n"
        f"sys.argv = ['ssi-wallet', *{args!r}, '--help']\n"
        "from ssi_wallet.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    return json.loads(proc.stderr.strip().splitlines()[-1]), proc.stdout


def test_help_does_not_import_agent_or_ledger_libraries() -> None:
    loaded, shown = _help_in_a_fresh_process()
    assert loaded == [], f"--help imported {loaded}"
    assert "Usage" in shown


def test_every_registered_group_help_stays_light() -> None:
    from ssi_wallet.cli.app import COMMANDS

    groups = [name for name, entry in COMMANDS.items() if entry.target.endswith(":app")]
    assert "config" in groups
    for group in groups:
        loaded, _ = _help_in_a_fresh_process(group)
        assert loaded == [], f"{group} --help imported {loaded}"


def test_version(run_cli) -> None:
    result = run_cli("--version").check()
    assert result.stdout.strip() == f"ssi-wallet {__version__}"


def test_json_output_is_exactly_one_document(run_cli, wallet_home: Path) -> None:
    set_result = run_cli("config", "set", "ledger.genesis", "/tmp/pool.txn", "--json").check()
    assert set_result.json()["value"] == "/tmp/pool.txn"
    shown = run_cli("config", "show", "--json").check().json()
    assert shown["home"] == str(wallet_home)
    assert shown["settings"] == {"ledger": {"genesis": "/tmp/pool.txn"}}
    assert run_cli("config", "get", "ledger.genesis", "--json").check().json()["value"] == (
        "/tmp/pool.txn"
    )
    run_cli("config", "set", "agent.port", "8031").check()
    assert run_cli("config", "get", "agent.port", "--json").json()["value"] == 8031
    run_cli("config", "unset", "agent.port").check()
    assert run_cli("config", "get", "agent.port").returncode == 1


def test_error_is_one_line_without_traceback(run_cli) -> None:
    result = run_cli("config", "get", "no.such.key")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "error: no setting 'no.such.key'"
    assert "Traceback" not in result.stderr


def test_error_in_json_mode_is_a_json_document(run_cli) -> None:
    result = run_cli("config", "get", "no.such.key", "--json")
    assert result.returncode == 1
    assert result.json() == {"ok": False, "error": {"code": "not_found",
                                                    "message": "no setting 'no.such.key'"}}


def test_usage_error_exits_2(run_cli) -> None:
    result = run_cli("config", "no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_config_is_reported_not_crashed(run_cli, wallet_home: Path) -> None:
    (wallet_home / "config.toml").write_text("ledger = [unclosed\n")
    result = run_cli("config", "show")
    assert result.returncode == 1
    assert "not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr
    debug = run_cli("--debug", "config", "show")
    assert "Traceback" in debug.stderr


def test_secret_files_are_0600_and_atomic(tmp_path: Path) -> None:
    path = write_secret(tmp_path / "sub" / "key", b"s3cret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes() == b"s3cret"
    doc = write_json(tmp_path / "runtime.json", {"api_key": "x"}, secret=True)
    assert stat.S_IMODE(os.stat(doc).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runtime.json", "sub"]


def test_data_home_is_created_private(run_cli, tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    run_cli("config", "show", "--json", home=home).check()
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
