"""`ssi-wallet init`, `wallet rekey` and `wallet delete` through the real CLI: the key in
a real Secret Service (gnome-keyring in a private D-Bus session), or from a passphrase
when there is none; the key is never on disk, in argv or in the agent's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.ledger import RunningLedger

pytestmark = pytest.mark.slow


def run(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**env, "SSI_WALLET_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "ssi_wallet", *args], capture_output=True,
                          text=True, env=env, timeout=180, stdin=subprocess.DEVNULL)


def _agent_pid(home: Path) -> int:
    return json.loads((home / "holder" / "run" / "agent.json").read_text())["pid"]


def _no_key_anywhere(home: Path, key: str) -> None:
    pid = _agent_pid(home)
    for name in ("cmdline", "environ"):
        assert key.encode() not in Path(f"/proc/{pid}/{name}").read_bytes()
    for path in home.rglob("*"):
        if path.is_file() and not path.name.startswith("sqlite.db"):
            assert key.encode() not in path.read_bytes(), path


def test_keyring_path_with_a_real_secret_service(secret_service, ledger: RunningLedger,
                                                tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = secret_service.child_env({k: v for k, v in os.environ.items()
                                    if k.startswith("PATH")})
    assert run(home, env, "config", "set", "ledger.genesis", ledger.genesis_path).returncode == 0
    created = run(home, env, "init", "--label", "Jan", "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["key_storage"] == "keyring"
    stored = secret_service.items("ssi-wallet")
    assert len(stored) == 1
    (key,) = stored.values()
    _no_key_anywhere(home, key)
    info = json.loads((home / "holder" / "keyinfo.json").read_text())
    assert info["method"] == "keyring" and key not in json.dumps(info)
    assert oct((home / "holder" / "keyinfo.json").stat().st_mode & 0o777) == "0o600"

    # Re-key: the agent is stopped, the store re-encrypted, the keyring updated.
    rekeyed = run(home, env, "wallet", "rekey", "--json")
    assert rekeyed.returncode == 0, rekeyed.stderr
    (new_key,) = secret_service.items("ssi-wallet").values()
    assert new_key != key
    assert run(home, env, "credentials", "list", "--json").returncode == 0   # opens again
    _no_key_anywhere(home, new_key)

    # A locked keyring: one clear line, nothing else.
    run(home, env, "agent", "stop")
    secret_service.lock()
    locked = run(home, env, "agent", "start")
    assert locked.returncode == 1
    assert "locked" in locked.stderr and "Traceback" not in locked.stderr

    deleted = run(home, env, "wallet", "delete", "--yes", "--json")
    assert deleted.returncode == 0
    assert not (home / "holder").exists()


def test_passphrase_path_without_a_secret_service(ledger: RunningLedger, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "SSI_WALLET_PASSPHRASE")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    run(home, env, "config", "set", "ledger.genesis", ledger.genesis_path)
    no_secret = run(home, env, "init")
    assert no_secret.returncode == 1
    assert "SSI_WALLET_PASSPHRASE" in no_secret.stderr
    assert not (home / "holder" / "keyinfo.json").exists()      # nothing half-made
    env["SSI_WALLET_PASSPHRASE"] = "a long enough passphrase"
    created = run(home, env, "init", "--json")
    assert created.returncode == 0, created.stderr
    doc = json.loads(created.stdout)
    assert doc["key_storage"] == "passphrase"
    assert "keyring" in doc["keyring_fallback_reason"]
    assert "No usable keyring" in created.stderr
    run(home, env, "agent", "stop")
    wrong = run(home, {**env, "SSI_WALLET_PASSPHRASE": "not the passphrase"}, "agent", "start")
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr
    assert run(home, env, "agent", "start").returncode == 0    # the wallet still opens
    run(home, env, "agent", "stop")
