"""The wallet key against real backends: gnome-keyring's Secret Service, Argon2id, Askar.

Crashes are real (`os._exit` in a child process at the chosen step); nothing else is mocked.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import base58
import pytest

from ssi_wallet.errors import AlreadyRunningError, NotFoundError, SecretError
from ssi_wallet.holder import wallet_key as wk

PASS = "correct horse battery staple"
NEW_PASS = "tr0ub4dor and 3 more words"
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- helpers


def store_uri(tmp_path: Path) -> str:
    db = tmp_path / "holder" / "wallet" / "citizen" / "sqlite.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite://{db}"


def provision(uri: str, key: str) -> None:
    """A real Askar store under `key`, with one record to read back."""
    from aries_askar import Store

    async def go() -> None:
        store = await Store.provision(uri, "raw", key, recreate=True)
        async with store.session() as session:
            await session.insert("test", "marker", b"still here")
        await store.close()

    asyncio.run(go())


def read_marker(uri: str, key: str) -> bytes:
    from aries_askar import Store

    async def go() -> bytes:
        store = await Store.open(uri, "raw", key)
        try:
            async with store.session() as session:
                entry = await session.fetch("test", "marker")
                return entry.raw_value
        finally:
            await store.close()

    return bytes(asyncio.run(go()))


def entries(service, wallet_dir: Path) -> dict[str, str]:
    """This wallet's keyring entries, named relative to its entry ("" and "#pending")."""
    entry = wk.read_key_info(wallet_dir).entry if wk.read_key_info(wallet_dir) else None
    found = service.items("ssi-wallet")
    return {
        name[len(entry) :]: value
        for name, value in found.items()
        if entry and name.startswith(entry)
    }


def assert_one_line(err: BaseException) -> str:
    text = str(err)
    assert text and "\n" not in text
    return text


def assert_keyinfo_private(wallet_dir: Path, *keys: str) -> dict:
    path = wallet_dir / wk.KEYINFO_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    for key in keys:
        assert key not in text
        assert base58.b58decode(key).hex() not in text
    return json.loads(text)


def child_env(extra: dict[str, str] | None = None, base: dict[str, str] | None = None) -> dict:
    env = dict(base if base is not None else os.environ)
    env.pop("SSI_WALLET_PASSPHRASE", None)
    env.pop("SSI_WALLET_NEW_PASSPHRASE", None)
    env.update(extra or {})
    return env


def run_child(code: str, env: dict[str, str], *, new_session: bool = False):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        start_new_session=new_session,
    )


# --------------------------------------------------------------------------- raw key form


def test_raw_key_is_base58_of_32_bytes_and_opens_askar(tmp_path: Path) -> None:
    from aries_askar import Store

    key = wk.new_random_key()
    assert len(base58.b58decode(key)) == 32
    # The same form as Askar's own generator.
    assert len(base58.b58decode(Store.generate_raw_key())) == 32
    uri = store_uri(tmp_path)
    provision(uri, key)
    assert wk.key_opens_store(uri, key)
    assert not wk.key_opens_store(uri, wk.new_random_key())


def test_argon2id_derivation_is_deterministic() -> None:
    # Its cost (time, memory) is a benchmark figure, not asserted here: timed
    # asserts fail on a loaded machine without anything being wrong.
    kdf = wk.new_kdf_params()
    assert kdf["name"] == "argon2id" and len(bytes.fromhex(kdf["salt"])) == 16
    key = wk.derive_key(PASS, kdf)
    assert wk.derive_key(PASS, kdf) == key
    assert wk.derive_key(PASS, wk.new_kdf_params()) != key  # the salt matters
    assert len(base58.b58decode(key)) == 32


# --------------------------------------------------------------------------- keyring path


def test_keyring_keeps_the_key_and_keyinfo_does_not(use_secret_service, tmp_path: Path) -> None:
    wallet_dir = tmp_path / "wallet"
    key, info, reason = wk.create_wallet_key(wallet_dir, "citizen-1")
    assert reason is None
    assert info.method == "keyring" and info.kdf is None
    assert entries(use_secret_service, wallet_dir) == {"": key}
    doc = assert_keyinfo_private(wallet_dir, key)
    assert doc["method"] == "keyring" and doc["wallet_id"] == "citizen-1"
    assert wk.load_wallet_key(wallet_dir) == key

    # Another process finds the Secret Service by detection alone (no
    # PYTHON_KEYRING_BACKEND) and gets the same key back.
    out = run_child(
        f"""
        import keyring
        from ssi_wallet.holder import wallet_key as wk
        print(type(keyring.get_keyring()).__module__)
        print(wk.key_check(wk.load_wallet_key({str(wallet_dir)!r})))
        """,
        use_secret_service.child_env(),
    )
    assert out.returncode == 0, out.stderr
    backend, check = out.stdout.split()
    assert backend == "keyring.backends.SecretService"
    assert check == info.check


def test_locked_keyring_is_one_line(use_secret_service, tmp_path: Path, monkeypatch) -> None:
    wallet_dir = tmp_path / "wallet"
    key, _, _ = wk.create_wallet_key(wallet_dir, "citizen-2")
    use_secret_service.lock()

    with pytest.raises(SecretError) as err:
        wk.load_wallet_key(wallet_dir)
    assert "keyring is locked" in assert_one_line(err.value)
    assert key not in str(err.value)

    # Insisting on the keyring fails with the reason; the default falls back to a
    # passphrase and returns that reason for the CLI to print.
    with pytest.raises(SecretError) as err:
        wk.create_wallet_key(tmp_path / "w3", "citizen-3", use_keyring=True)
    assert "keyring is locked" in assert_one_line(err.value)
    assert wk.read_key_info(tmp_path / "w3") is None

    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", PASS)
    key4, info4, reason = wk.create_wallet_key(tmp_path / "w4", "citizen-4")
    assert info4.method == "passphrase"
    assert reason == "the keyring is locked"
    assert wk.load_wallet_key(tmp_path / "w4") == key4


def test_missing_keyring_entry_is_reported(use_secret_service, tmp_path: Path) -> None:
    import keyring

    wallet_dir = tmp_path / "wallet"
    _, info, _ = wk.create_wallet_key(wallet_dir, "citizen-5")
    keyring.delete_password("ssi-wallet", info.entry)
    with pytest.raises(SecretError) as err:
        wk.load_wallet_key(wallet_dir)
    assert "missing from the keyring" in assert_one_line(err.value)


def test_delete_removes_entry_and_keyinfo(use_secret_service, tmp_path: Path) -> None:
    wallet_dir = tmp_path / "wallet"
    wk.create_wallet_key(wallet_dir, "citizen-6")
    assert wk.delete_wallet_key(wallet_dir) is None
    assert use_secret_service.items("ssi-wallet") == {}
    assert not (wallet_dir / wk.KEYINFO_NAME).exists()
    with pytest.raises(NotFoundError):
        wk.load_wallet_key(wallet_dir)
    # A new wallet can be made in the same place.
    wk.create_wallet_key(wallet_dir, "citizen-6")


# --------------------------------------------------------------------------- passphrase path


def test_passphrase_path_without_secret_service(
    no_secret_service, tmp_path: Path, monkeypatch
) -> None:
    assert wk.keyring_unavailable_reason() == "no usable keyring backend (no D-Bus session)"
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", PASS)
    wallet_dir = tmp_path / "wallet"
    key, info, reason = wk.create_wallet_key(wallet_dir, "citizen-7")
    assert reason == "no usable keyring backend (no D-Bus session)"
    assert info.method == "passphrase"
    doc = assert_keyinfo_private(wallet_dir, key)
    assert doc["kdf"]["name"] == "argon2id"
    assert doc["kdf"]["memory_kib"] == 65536 and doc["kdf"]["time_cost"] == 3
    assert PASS not in (wallet_dir / wk.KEYINFO_NAME).read_text()
    assert wk.load_wallet_key(wallet_dir) == key

    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", "not the passphrase")
    with pytest.raises(SecretError) as err:
        wk.load_wallet_key(wallet_dir)
    assert assert_one_line(err.value) == "wrong passphrase"

    # Insisting on the keyring when there is none says why.
    with pytest.raises(SecretError) as err:
        wk.create_wallet_key(tmp_path / "w8", "citizen-8", use_keyring=True)
    assert "no D-Bus session" in assert_one_line(err.value)


def test_short_passphrase_is_refused(no_secret_service, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", "short")
    with pytest.raises(SecretError) as err:
        wk.create_wallet_key(tmp_path / "wallet", "citizen-9")
    assert "too short" in assert_one_line(err.value)
    assert wk.read_key_info(tmp_path / "wallet") is None


def test_no_tty_and_no_env_says_what_to_set(tmp_path: Path) -> None:
    """A child with no controlling terminal (new session), no D-Bus, no passphrase env."""
    env = child_env(base={k: v for k, v in os.environ.items() if "DBUS" not in k})
    env["HOME"] = str(tmp_path)
    code = f"""
        import sys
        from ssi_wallet.errors import SecretError
        from ssi_wallet.holder import wallet_key as wk
        try:
            wk.create_wallet_key({str(tmp_path / "wallet")!r}, "citizen-10")
        except SecretError as err:
            print(err)
            sys.exit(3)
        """
    out = run_child(code, env, new_session=True)
    assert out.returncode == 3, out.stderr
    line = out.stdout.strip()
    assert "\n" not in line and "SSI_WALLET_PASSPHRASE" in line and "no terminal" in line
    assert wk.read_key_info(tmp_path / "wallet") is None


def test_passphrase_prompted_twice_on_tty_without_echo(tmp_path: Path) -> None:
    """Through a real pseudo-terminal: two prompts, nothing echoed, same key as via env."""
    import pty

    wallet_dir = tmp_path / "wallet"
    env = child_env(base={k: v for k, v in os.environ.items() if "DBUS" not in k})
    env["HOME"] = str(tmp_path)
    code = (
        "from ssi_wallet.holder import wallet_key as wk\n"
        f"k, info, reason = wk.create_wallet_key({str(wallet_dir)!r}, 'citizen-11')\n"
        "print('METHOD', info.method)\n"
    )
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is its controlling terminal
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-c", code], env)
    transcript = b""

    def read_until(marker: bytes, timeout: float = 30) -> None:
        nonlocal transcript
        deadline = time.monotonic() + timeout
        while marker not in transcript:
            ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"no {marker!r} in {transcript!r}")
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                raise AssertionError(f"child ended: {transcript!r}") from None
            if not chunk:
                raise AssertionError(f"child ended: {transcript!r}")
            transcript += chunk

    try:
        read_until(b"passphrase: ")
        os.write(fd, PASS.encode() + b"\n")
        read_until(b"Repeat the passphrase: ")
        os.write(fd, PASS.encode() + b"\n")
        read_until(b"METHOD passphrase")
        _, status = os.waitpid(pid, 0)  # let it exit before the terminal hangs up
        pid = 0
    finally:
        os.close(fd)
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert PASS.encode() not in transcript  # never echoed
    os.environ["SSI_WALLET_PASSPHRASE"] = PASS
    try:
        key = wk.load_wallet_key(wallet_dir)
    finally:
        del os.environ["SSI_WALLET_PASSPHRASE"]
    assert wk.key_check(key) == wk.read_key_info(wallet_dir).check


# --------------------------------------------------------------------------- rekey


def test_rekey_with_keyring(use_secret_service, tmp_path: Path) -> None:
    wallet_dir = tmp_path / "wallet"
    old, info, _ = wk.create_wallet_key(wallet_dir, "citizen-12")
    uri = store_uri(tmp_path)
    provision(uri, old)

    new_info = wk.rekey_wallet(wallet_dir, uri)
    new = wk.load_wallet_key(wallet_dir)
    assert new != old and new_info.check != info.check and new_info.pending is None
    assert not wk.key_opens_store(uri, old)
    assert read_marker(uri, new) == b"still here"
    assert entries(use_secret_service, wallet_dir) == {"": new}
    assert_keyinfo_private(wallet_dir, old, new)


def test_rekey_passphrase_to_passphrase_and_to_keyring(
    use_secret_service, tmp_path: Path, monkeypatch
) -> None:
    wallet_dir = tmp_path / "wallet"
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", PASS)
    old, _, _ = wk.create_wallet_key(wallet_dir, "citizen-13", use_keyring=False)
    uri = store_uri(tmp_path)
    provision(uri, old)

    monkeypatch.setenv("SSI_WALLET_NEW_PASSPHRASE", NEW_PASS)
    wk.rekey_wallet(wallet_dir, uri)
    with pytest.raises(SecretError, match="wrong passphrase"):
        wk.load_wallet_key(wallet_dir)  # the old passphrase is no longer it
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", NEW_PASS)
    mid = wk.load_wallet_key(wallet_dir)
    assert not wk.key_opens_store(uri, old)
    assert read_marker(uri, mid) == b"still here"

    info = wk.rekey_wallet(wallet_dir, uri, to_method="keyring")
    assert info.method == "keyring" and info.kdf is None
    new = wk.load_wallet_key(wallet_dir)
    assert entries(use_secret_service, wallet_dir) == {"": new}
    assert read_marker(uri, new) == b"still here"
    assert not wk.key_opens_store(uri, mid)

    # And back to a passphrase: the keyring entry goes away.
    monkeypatch.setenv("SSI_WALLET_NEW_PASSPHRASE", PASS)
    wk.rekey_wallet(wallet_dir, uri, to_method="passphrase")
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", PASS)
    assert read_marker(uri, wk.load_wallet_key(wallet_dir)) == b"still here"
    assert use_secret_service.items("ssi-wallet") == {}


def test_rekey_refuses_while_the_store_is_open(use_secret_service, tmp_path: Path) -> None:
    """An agent (here: another process holding the Askar store open) blocks a rekey."""
    wallet_dir = tmp_path / "wallet"
    key, info, _ = wk.create_wallet_key(wallet_dir, "citizen-14")
    uri = store_uri(tmp_path)
    provision(uri, key)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import asyncio, sys
            from aries_askar import Store
            async def main():
                store = await Store.open({uri!r}, "raw", sys.stdin.readline().strip())
                async with store.session() as s:
                    await s.fetch("test", "marker")
                print("open", flush=True)
                sys.stdin.readline()
                await store.close()
            asyncio.run(main())
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdin and holder.stdout
        holder.stdin.write(key + "\n")  # the key on a pipe, never in argv
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "open"
        assert holder.pid in wk.store_in_use(uri)
        with pytest.raises(AlreadyRunningError) as err:
            wk.rekey_wallet(wallet_dir, uri)
        assert "stop the agent" in assert_one_line(err.value)
    finally:
        if holder.stdin:
            holder.stdin.close()
        holder.wait(timeout=30)
    assert wk.load_wallet_key(wallet_dir) == key
    assert wk.read_key_info(wallet_dir).check == info.check
    assert read_marker(uri, key) == b"still here"


def test_rekey_with_a_wrong_store_key_changes_nothing(use_secret_service, tmp_path) -> None:
    wallet_dir = tmp_path / "wallet"
    key, info, _ = wk.create_wallet_key(wallet_dir, "citizen-15")
    uri = store_uri(tmp_path)
    other = wk.new_random_key()
    provision(uri, other)
    with pytest.raises(SecretError, match="does not open"):
        wk.rekey_wallet(wallet_dir, uri)
    assert wk.read_key_info(wallet_dir) == info
    assert entries(use_secret_service, wallet_dir) == {"": key}
    assert read_marker(uri, other) == b"still here"


# --------------------------------------------------------------------------- crash safety

# The child runs a rekey and dies (os._exit: no cleanup, no except clauses) at one step.
CRASH_CHILD = """
import os, sys
from ssi_wallet.holder import wallet_key as wk
point = sys.argv[1]
real_rekey, real_set, real_write = wk._rekey_store, wk._kr_set, wk._write_info

def rekey(uri, old, new):
    if point == "before-store":
        os._exit(70)
    real_rekey(uri, old, new)
    if point == "after-store":
        os._exit(70)

def kr_set(entry, key):
    real_set(entry, key)
    if point == "after-keyring-main" and not entry.endswith(wk.PENDING_SUFFIX):
        os._exit(70)

def write_info(wallet_dir, info):
    if point == "before-pending-recorded" and info.pending:
        os._exit(70)
    real_write(wallet_dir, info)

wk._rekey_store, wk._kr_set, wk._write_info = rekey, kr_set, write_info
wk.rekey_wallet(sys.argv[2], sys.argv[3], to_method=sys.argv[4])
print("no crash")
"""


def crash_rekey(point: str, wallet_dir: Path, uri: str, method: str, env: dict) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CRASH_CHILD, point, str(wallet_dir), uri, method],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 70, (out.returncode, out.stdout, out.stderr)


@pytest.mark.parametrize(
    ("point", "store_changed"),
    [
        ("before-pending-recorded", False),
        ("before-store", False),
        ("after-store", True),
        ("after-keyring-main", True),
    ],
)
def test_keyring_rekey_survives_a_crash(
    use_secret_service, tmp_path: Path, point: str, store_changed: bool
) -> None:
    wallet_dir = tmp_path / "wallet"
    old, _, _ = wk.create_wallet_key(wallet_dir, "citizen-16")
    uri = store_uri(tmp_path)
    provision(uri, old)

    crash_rekey(point, wallet_dir, uri, "keyring", use_secret_service.child_env())
    assert wk.key_opens_store(uri, old) is not store_changed

    # The next load settles it (using the store URI the rekey recorded) ...
    key = wk.load_wallet_key(wallet_dir)
    assert (key == old) is not store_changed
    assert read_marker(uri, key) == b"still here"
    info = wk.read_key_info(wallet_dir)
    assert info.pending is None and info.check == wk.key_check(key)
    left = entries(use_secret_service, wallet_dir)
    assert left[""] == key
    # A crash before keyinfo recorded the rekey may leave a stale "#pending" entry
    # (a key that opens nothing); the next rekey replaces it, and then removes it.
    assert set(left) <= {"", "#pending"}
    wk.rekey_wallet(wallet_dir, uri)
    key = wk.load_wallet_key(wallet_dir)
    assert read_marker(uri, key) == b"still here"
    assert entries(use_secret_service, wallet_dir) == {"": key}


def crash_passphrase_change(
    point: str, tmp_path: Path, monkeypatch, label: str
) -> tuple[Path, str, str]:
    """A passphrase wallet whose change to NEW_PASS crashes at ``point``: (its directory,
    its store's URI, its old key)."""
    wallet_dir = tmp_path / "wallet"
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", PASS)
    old, _, _ = wk.create_wallet_key(wallet_dir, label)
    uri = store_uri(tmp_path)
    provision(uri, old)
    env = child_env(
        {"SSI_WALLET_PASSPHRASE": PASS, "SSI_WALLET_NEW_PASSPHRASE": NEW_PASS},
        base=dict(os.environ),
    )
    crash_rekey(point, wallet_dir, uri, "passphrase", env)
    return wallet_dir, uri, old


def test_passphrase_change_survives_a_crash_after_the_store(
    no_secret_service, tmp_path: Path, monkeypatch
) -> None:
    wallet_dir, uri, old = crash_passphrase_change("after-store", tmp_path, monkeypatch,
                                                   "citizen-17")
    assert not wk.key_opens_store(uri, old)

    with pytest.raises(SecretError) as err:  # the old passphrase: told to use the new one
        wk.load_wallet_key(wallet_dir)
    assert "use the new passphrase" in assert_one_line(err.value)
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", NEW_PASS)
    key = wk.load_wallet_key(wallet_dir)
    assert read_marker(uri, key) == b"still here"
    assert wk.read_key_info(wallet_dir).pending is None


def test_passphrase_change_survives_a_crash_before_the_store(
    no_secret_service, tmp_path: Path, monkeypatch
) -> None:
    wallet_dir, _, old = crash_passphrase_change("before-store", tmp_path, monkeypatch,
                                                 "citizen-18")

    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", NEW_PASS)
    with pytest.raises(SecretError) as err:
        wk.load_wallet_key(wallet_dir)
    assert "use the old passphrase" in assert_one_line(err.value)
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", PASS)
    assert wk.load_wallet_key(wallet_dir) == old
    assert wk.read_key_info(wallet_dir).pending is None


def test_a_failing_store_rekey_leaves_the_old_key(use_secret_service, tmp_path, monkeypatch):
    """Askar refusing the rekey (simulated: we cannot make it fail on demand) undoes it."""
    wallet_dir = tmp_path / "wallet"
    old, info, _ = wk.create_wallet_key(wallet_dir, "citizen-19")
    uri = store_uri(tmp_path)
    provision(uri, old)

    def refuse(uri: str, old_key: str, new_key: str) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(wk, "_rekey_store", refuse)
    with pytest.raises(RuntimeError):
        wk.rekey_wallet(wallet_dir, uri)
    assert wk.read_key_info(wallet_dir).pending is None
    assert wk.load_wallet_key(wallet_dir) == old
    assert entries(use_secret_service, wallet_dir) == {"": old}
    assert read_marker(uri, old) == b"still here"


def test_module_imports_neither_keyring_nor_askar() -> None:
    out = run_child(
        """
        import sys
        import ssi_wallet.holder.wallet_key
        print(sorted(m for m in ("keyring", "aries_askar", "argon2") if m in sys.modules))
        """,
        child_env(),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- with ACA-Py

ACAPY_OPEN = """
import asyncio, os, sys
from aries_cloudagent.askar.store import AskarStoreConfig

async def main():
    config = {"name": sys.argv[1], "key": os.environ["ACAPY_WALLET_KEY"],
              "key_derivation_method": "RAW"}
    opened = await AskarStoreConfig(config).open_store()
    await opened.close()

try:
    asyncio.run(main())
except Exception as err:
    print(type(err).__name__)
    sys.exit(3)
print("opened")
"""


def test_rekey_a_wallet_aca_py_provisioned(use_secret_service, tmp_path: Path) -> None:
    """ACA-Py 0.12.8 provisions the store with our key (from the environment, not argv);
    after our rekey ACA-Py opens it with the new key only."""
    acapy = Path(sys.executable).with_name("aca-py")
    if not acapy.exists():
        pytest.skip("aca-py is not installed in this environment")
    home = tmp_path / "home with space" / "holder"
    name = "citizen wallet"
    wallet_dir = tmp_path / "keys"
    old, _, _ = wk.create_wallet_key(wallet_dir, "citizen-20")
    env = child_env({"ACAPY_HOME": str(home), "ACAPY_WALLET_KEY": old})
    argv = [
        str(acapy),
        "provision",
        "--wallet-type",
        "askar",
        "--wallet-name",
        name,
        "--wallet-key-derivation-method",
        "RAW",
        "--no-ledger",
        "-e",
        "http://127.0.0.1:9",
    ]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    db = home / "wallet" / name / "sqlite.db"
    assert db.exists()
    uri = wk.sqlite_store_uri(db)
    assert "%20" in uri and wk.sqlite_store_path(uri) == db

    wk.rekey_wallet(wallet_dir, uri)
    new = wk.load_wallet_key(wallet_dir)

    def acapy_opens(key: str) -> str:
        run = run_child(
            ACAPY_OPEN.replace("sys.argv[1]", repr(name)), {**env, "ACAPY_WALLET_KEY": key}
        )
        return run.stdout.strip()

    assert acapy_opens(new) == "opened"
    assert acapy_opens(old) == "ProfileError"


def test_switch_to_keyring_survives_a_crash_without_asking_the_passphrase(
    use_secret_service, tmp_path: Path, monkeypatch
) -> None:
    """Passphrase -> keyring, crash after the store: the keyring's pending key settles it,
    even under the supervisor's wallet lock, and no passphrase is needed (none is set)."""
    wallet_dir = tmp_path / "wallet"
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", PASS)
    old, _, _ = wk.create_wallet_key(wallet_dir, "citizen-21", use_keyring=False)
    uri = store_uri(tmp_path)
    provision(uri, old)
    env = use_secret_service.child_env({"SSI_WALLET_PASSPHRASE": PASS})
    crash_rekey("after-store", wallet_dir, uri, "keyring", env)

    monkeypatch.delenv("SSI_WALLET_PASSPHRASE")
    with wk.wallet_lock(wallet_dir):  # re-entrant: load may take it again
        key = wk.load_wallet_key(wallet_dir)
    assert read_marker(uri, key) == b"still here"
    info = wk.read_key_info(wallet_dir)
    assert info.method == "keyring" and info.pending is None and info.kdf is None
    assert entries(use_secret_service, wallet_dir) == {"": key}


def test_a_slow_bus_is_retried_not_taken_for_no_keyring(
    use_secret_service, tmp_path: Path, monkeypatch
) -> None:
    """jeepney gives the bus 1 s to authenticate; a loaded machine can miss that once.
    (Simulated: we cannot make dbus-daemon slow on demand.)"""
    import secretstorage

    wallet_dir = tmp_path / "wallet"
    key, _, _ = wk.create_wallet_key(wallet_dir, "citizen-22")
    real_init = secretstorage.dbus_init
    failures = iter([True])

    def slow_once():
        if next(failures, False):
            raise TimeoutError("timed out")
        return real_init()

    monkeypatch.setattr(secretstorage, "dbus_init", slow_once)
    assert wk.load_wallet_key(wallet_dir) == key


def test_passphrase_unicode_normalisation() -> None:
    kdf = wk.new_kdf_params()
    composed, decomposed = "caf\u00e9 au lait!", "cafe\u0301 au lait!"
    assert wk.derive_key(composed, kdf) == wk.derive_key(decomposed, kdf)


def test_same_wallet_id_in_two_homes_keeps_two_keys(use_secret_service, tmp_path: Path) -> None:
    """Callers use one wallet id ("citizen") in every data home: the keyring entries must
    not collide, or a second `init` would overwrite the first wallet's key."""
    first, second = tmp_path / "home1" / "wallet", tmp_path / "home2" / "wallet"
    key1, info1, _ = wk.create_wallet_key(first, "citizen")
    key2, info2, _ = wk.create_wallet_key(second, "citizen")
    assert info1.entry != info2.entry and info1.entry.startswith("citizen")
    assert wk.load_wallet_key(first) == key1 and wk.load_wallet_key(second) == key2
    wk.delete_wallet_key(second)
    assert wk.load_wallet_key(first) == key1
    assert use_secret_service.items("ssi-wallet") == {info1.entry: key1}
