"""A real Secret Service for tests: a private D-Bus session bus with gnome-keyring-daemon.

`secret_service` starts `dbus-daemon --session` and `gnome-keyring-daemon --unlock
--components=secrets` (its login keyring unlocked with a password written to its stdin)
in a home of their own, and stops both by pid. It skips, saying what is missing, when the
binaries are not installed (`make test` installs them through scripts/system-deps.sh).

`use_secret_service` also points this process at it (environment and a fresh `keyring`
backend); `no_secret_service` gives this process no D-Bus session and no keyring at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KEYRING_PASSWORD = "ssi-wallet-test-login"
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"
_ENV_KEYS = (
    "DBUS_SESSION_BUS_ADDRESS",
    "HOME",
    "XDG_RUNTIME_DIR",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "PYTHON_KEYRING_BACKEND",
    "GNOME_KEYRING_CONTROL",
)


@dataclass
class SecretService:
    """A running private Secret Service: `env` reaches it from this process or a child."""

    env: dict[str, str]
    bus_address: str
    dbus_pid: int
    keyring_pid: int

    def child_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """os.environ with this service's variables, for a subprocess."""
        env = {k: v for k, v in os.environ.items() if k not in _ENV_KEYS}
        env.update(self.env)
        env.update(extra or {})
        return env

    def _connection(self):  # noqa: ANN202 - jeepney's blocking connection
        from jeepney.io.blocking import open_dbus_connection

        return open_dbus_connection(self.bus_address)

    def available(self) -> bool:
        import secretstorage

        try:
            conn = self._connection()
        except OSError:
            return False
        try:
            return secretstorage.check_service_availability(conn)
        finally:
            conn.close()

    def lock(self) -> None:
        """Lock the default collection, as a screen lock or `secret-tool lock` would."""
        import secretstorage

        conn = self._connection()
        try:
            collection = secretstorage.get_default_collection(conn)
            collection.lock()
            assert collection.is_locked()
        finally:
            conn.close()

    def items(self, service: str) -> dict[str, str]:
        """username -> secret of the items stored by `keyring` for `service`."""
        import secretstorage

        conn = self._connection()
        try:
            collection = secretstorage.get_default_collection(conn)
            found = {}
            for item in collection.search_items({"service": service}):
                found[item.get_attributes()["username"]] = item.get_secret().decode()
            return found
        finally:
            conn.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _missing() -> str | None:
    missing = [b for b in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(b) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not installed (scripts/system-deps.sh installs "
            f"them as root: Debian packages dbus-daemon, gnome-keyring)"
        )
    try:
        import secretstorage  # noqa: F401
    except ImportError:
        return "the secretstorage package is not installed"
    return None


@pytest.fixture
def secret_service() -> Iterator[SecretService]:
    """A private D-Bus session with an unlocked gnome-keyring Secret Service."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    # Short paths: a unix socket path must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="ssiw-ss-"))
    home, run = root / "home", root / "run"
    home.mkdir(mode=0o700)
    run.mkdir(mode=0o700)
    env = {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(run),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    base = {k: v for k, v in os.environ.items() if k not in _ENV_KEYS}
    dbus = subprocess.Popen(
        [
            "dbus-daemon",
            "--session",
            "--nofork",
            "--nopidfile",
            f"--address=unix:dir={run}",
            "--print-address=1",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**base, **env},
        text=True,
    )
    keyring_daemon: subprocess.Popen | None = None
    try:
        assert dbus.stdout is not None
        address = dbus.stdout.readline().strip()
        if not address:
            err = dbus.stderr.read() if dbus.stderr else ""
            pytest.fail(f"dbus-daemon did not start: {err.strip()}")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        keyring_daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**base, **env},
            text=True,
        )
        assert keyring_daemon.stdin is not None
        keyring_daemon.stdin.write(KEYRING_PASSWORD)
        keyring_daemon.stdin.close()
        service = SecretService(env, address, dbus.pid, keyring_daemon.pid)
        deadline = time.monotonic() + 15
        while not service.available():
            if keyring_daemon.poll() is not None or time.monotonic() > deadline:
                err = keyring_daemon.stderr.read() if keyring_daemon.stderr else ""
                pytest.fail(f"gnome-keyring-daemon did not come up on the bus: {err.strip()}")
            time.sleep(0.05)
        yield service
    finally:
        if keyring_daemon is not None:
            _stop(keyring_daemon)
        _stop(dbus)
        shutil.rmtree(root, ignore_errors=True)


def _reset_keyring_backend() -> None:
    """Make `keyring` detect its backend again: it caches the viable ones per process."""
    import keyring.backend
    import keyring.core

    vars(keyring.backend.get_all_keyring).pop("saved_result", None)
    keyring.core.init_backend()


@pytest.fixture
def use_secret_service(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretService]:
    """Point this process (environment and `keyring`'s backend) at `secret_service`."""
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    for key, value in secret_service.env.items():
        monkeypatch.setenv(key, value)
    _reset_keyring_backend()
    yield secret_service
    monkeypatch.undo()
    _reset_keyring_backend()


@pytest.fixture
def no_secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process with no D-Bus session: `keyring` finds no usable backend."""
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    home = tmp_path / "no-dbus-home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    _reset_keyring_backend()
    yield
    monkeypatch.undo()
    _reset_keyring_backend()
