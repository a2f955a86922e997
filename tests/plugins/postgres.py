"""A real PostgreSQL server for the tests: Debian's binaries, a throwaway cluster.

- ``postgres_server`` (session): initdb's a cluster in a temporary directory (as the
  ``postgres`` user when the tests run as root, since the server refuses root), starts it
  on a free loopback port with password authentication, yields a ``PostgresServer`` and
  stops it by the postmaster's PID at the end.
- ``postgres_database``: a fresh, empty database on that server for one test.

Tests that use them skip with a clear reason when the binaries are missing
(``scripts/system-deps.sh`` installs the ``postgresql`` package in CI).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    data_dir: Path
    pid: int

    def url(self, database: str = "postgres", *, with_password: bool = True) -> str:
        auth = f"{self.user}:{self.password}" if with_password else self.user
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries not installed (scripts/system-deps.sh "
            "installs Debian's postgresql package)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'psycopg[binary]>=3.1,<3.3')")
    run_as: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser to drop to the postgres user")
        run_as = [runuser, "-u", "postgres", "--"]

    base = Path(tempfile.mkdtemp(prefix="ssi-wallet-pg-"))
    data_dir = base / "data"
    password = secrets.token_hex(16)
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    os.chmod(pwfile, 0o600)

    def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*run_as, *args], capture_output=True, text=True, cwd=str(base), **kwargs
        )

    init = run(
        str(bindir / "initdb"),
        "-D",
        str(data_dir),
        "-U",
        "postgres",
        f"--pwfile={pwfile}",
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        timeout=120,
    )
    pwfile.unlink()
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"initdb failed: {init.stderr.strip()[-2000:]}")
    port = _free_port()
    log = base / "server.log"
    start = run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data_dir),
        "-l",
        str(log),
        "-w",
        "-t",
        "60",
        "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {base} "
        "-c fsync=off -c max_connections=200 -c shared_buffers=32MB",
        "start",
        timeout=90,
    )
    if start.returncode != 0:
        detail = log.read_text()[-2000:] if log.exists() else start.stderr
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {detail}")
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    server = PostgresServer("127.0.0.1", port, "postgres", password, data_dir, pid)
    try:
        yield server
    finally:
        try:
            os.kill(pid, signal.SIGINT)  # fast shutdown
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 20
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> str:
    """The URL (with password) of a new empty database."""
    return postgres_server.create_database(f"t_{secrets.token_hex(6)}")
