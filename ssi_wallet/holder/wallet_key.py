"""The holder wallet's key: made, kept, checked, changed and removed, never written down.

The Askar store that ACA-Py opens with `--wallet-key-derivation-method RAW` takes its key
as the base58 (Bitcoin alphabet) text of 32 bytes, the form `Store.generate_raw_key()`
returns. A new key is 32 bytes from `secrets`, kept in the OS keyring (service
"ssi-wallet", one entry per wallet id). When there is no usable keyring we say why in one
line and derive the key from a passphrase with Argon2id instead.

Next to the wallet, `keyinfo.json` (0600) says how to get the key back (method, wallet id,
KDF parameters and salt) and holds a check value, HMAC-SHA256(key, "ssi-wallet key
check") cut to 128 bits, so a wrong passphrase or a stale keyring entry is reported in one
line before any agent starts. The key itself is never on disk, in argv, in logs or in an
exception's message.

Rekeying is crash-safe: the new key is made recoverable (pending keyring entry, or the new
salt recorded as `pending` in keyinfo) before the store is re-encrypted, and the old one is
only forgotten after. A crash at any point leaves a state `load_wallet_key` resolves by
asking the store which of the two keys opens it.

`keyring` and `aries_askar` are imported inside functions so `ssi-wallet --help` stays fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
import unicodedata
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from ssi_wallet.errors import (
    AlreadyRunningError,
    NotFoundError,
    SecretError,
    ServiceError,
    SsiWalletError,
)
from ssi_wallet.files import private_dir, read_json, write_json
from ssi_wallet.holder.passphrase import NEW_PASSPHRASE_ENV, read_new_passphrase, read_passphrase

Method = Literal["keyring", "passphrase"]
T = TypeVar("T")

KEYRING_SERVICE = "ssi-wallet"
KEYINFO_NAME = "keyinfo.json"
LOCK_NAME = ".keyinfo.lock"
KEY_BYTES = 32
SALT_BYTES = 16
CHECK_LABEL = b"ssi-wallet key check"
CHECK_HEX_CHARS = 32  # 128 bits: no false matches, nothing useful about the key
PENDING_SUFFIX = "#pending"

# Argon2id, RFC 9106's second recommended profile with 2 lanes for a 2-core machine:
# about 0.16 s here, and 64 MiB per guess for whoever steals the wallet file.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_PARALLELISM = 2


# --------------------------------------------------------------------------- key forms


def raw_key_text(key_bytes: bytes) -> str:
    """The text Askar takes for a "raw" store key: base58 of the 32 bytes."""
    import base58

    if len(key_bytes) != KEY_BYTES:
        raise ValueError("a raw wallet key is 32 bytes")
    return base58.b58encode(key_bytes).decode("ascii")


def _key_bytes(key: str) -> bytes:
    import base58

    return base58.b58decode(key)


def key_check(key: str) -> str:
    """The check value kept in keyinfo: proves a key right or wrong without revealing it."""
    digest = hmac.new(_key_bytes(key), CHECK_LABEL, hashlib.sha256).hexdigest()
    return digest[:CHECK_HEX_CHARS]


def _check_matches(key: str, check: str) -> bool:
    return hmac.compare_digest(key_check(key), check)


def new_random_key() -> str:
    """A fresh wallet key: 32 random bytes from the OS, in Askar's raw-key form."""
    return raw_key_text(secrets.token_bytes(KEY_BYTES))


def new_kdf_params() -> dict[str, Any]:
    """Argon2id parameters with a fresh random salt, as recorded in keyinfo."""
    return {
        "name": "argon2id",
        "version": 19,
        "salt": secrets.token_bytes(SALT_BYTES).hex(),
        "time_cost": ARGON2_TIME_COST,
        "memory_kib": ARGON2_MEMORY_KIB,
        "parallelism": ARGON2_PARALLELISM,
    }


def derive_key(passphrase: str, kdf: dict[str, Any]) -> str:
    """The wallet key for `passphrase` under the recorded Argon2id parameters."""
    from argon2.low_level import Type, hash_secret_raw

    if kdf.get("name") != "argon2id":
        raise SecretError(f"unsupported key derivation {kdf.get('name')!r} in keyinfo")
    # NFC: the same passphrase typed on another terminal may arrive decomposed.
    raw = hash_secret_raw(
        unicodedata.normalize("NFC", passphrase).encode("utf-8"),
        bytes.fromhex(kdf["salt"]),
        time_cost=int(kdf["time_cost"]),
        memory_cost=int(kdf["memory_kib"]),
        parallelism=int(kdf["parallelism"]),
        hash_len=KEY_BYTES,
        type=Type.ID,
        version=int(kdf.get("version", 19)),
    )
    return raw_key_text(raw)


# --------------------------------------------------------------------------- key info


@dataclass
class KeyInfo:
    """What `keyinfo.json` holds: how to get the key back, and how to know it is right."""

    wallet_id: str
    method: Method
    check: str
    kdf: dict[str, Any] | None = None
    keyring_service: str = KEYRING_SERVICE
    # The keyring entry's name: the wallet id plus a random tag, because the caller's
    # wallet id need not be unique across data homes sharing one keyring.
    keyring_entry: str = ""
    created: str = ""
    updated: str = ""
    # Set only while a rekey is under way (or was interrupted): the new key's spec and
    # the store it was meant for, so a later load can finish or undo it.
    pending: dict[str, Any] | None = None
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def entry(self) -> str:
        """The keyring entry (username under service "ssi-wallet") that holds the key."""
        return self.keyring_entry or self.wallet_id

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.update(doc.pop("extra") or {})
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> KeyInfo:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        return cls(
            **{k: v for k, v in doc.items() if k in known},
            extra={k: v for k, v in doc.items() if k not in known},
        )


def keyinfo_path(wallet_dir: Path) -> Path:
    return Path(wallet_dir) / KEYINFO_NAME


def read_key_info(wallet_dir: Path) -> KeyInfo | None:
    """The wallet's keyinfo, or None when this wallet has no key yet."""
    path = keyinfo_path(wallet_dir)
    try:
        doc = read_json(path)
    except FileNotFoundError:
        return None
    except (ValueError, OSError) as err:
        raise SecretError(f"{path}: unreadable key info ({type(err).__name__})") from None
    try:
        info = KeyInfo.from_json(doc)
    except TypeError:
        raise SecretError(f"{path}: malformed key info") from None
    if info.method not in ("keyring", "passphrase"):
        raise SecretError(f"{path}: unknown key method {info.method!r}")
    return info


def _write_info(wallet_dir: Path, info: KeyInfo) -> None:
    info.updated = _now()
    write_json(keyinfo_path(wallet_dir), info.to_json(), secret=True)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


_held = threading.local()


@contextlib.contextmanager
def wallet_lock(wallet_dir: Path) -> Iterator[None]:
    """Serialise key operations on one wallet across processes; re-entrant in a thread.

    The agent supervisor should hold it from loading the key until the agent has the
    store open, so an agent never starts in the middle of a rekey.
    """
    wallet_dir = private_dir(Path(wallet_dir))
    held: set[str] = _held.__dict__.setdefault("paths", set())
    name = str(wallet_dir.resolve())
    if name in held:
        yield
        return
    fd = os.open(wallet_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(name)
        try:
            yield
        finally:
            held.discard(name)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- keyring


class KeyringUnavailable(SecretError):
    """The OS keyring cannot be used; `str(err)` is the one-line reason."""


def _keyring_reason(err: BaseException) -> str:
    """One line saying why the keyring failed, without anything secret in it."""
    name = type(err).__name__
    module = type(err).__module__
    if name in ("KeyringLocked", "LockedException"):
        return "the keyring is locked"
    if name == "NoKeyringError":
        return _no_backend_reason()
    if name == "SecretServiceNotAvailableException" or module.startswith("jeepney"):
        return "the Secret Service is not available on D-Bus"
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and module.startswith(
        ("secretstorage", "jeepney")
    ):
        return "no D-Bus session"
    detail = str(err).splitlines()[0][:120] if str(err) else ""
    return f"the keyring failed ({name}{': ' + detail if detail else ''})"


def _no_backend_reason() -> str:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no usable keyring backend (no D-Bus session)"
    return "no usable keyring backend (no Secret Service on the D-Bus session)"


KEYRING_ATTEMPTS = 5


def _transient(err: BaseException) -> bool:
    """A D-Bus connection that timed out (jeepney gives the bus 1 s to authenticate,
    which a loaded machine can miss): worth another try, not a reason to give up."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _backend() -> Any:
    """The keyring backend, or KeyringUnavailable when it is one that cannot keep secrets."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
    except Exception as err:  # a bad PYTHON_KEYRING_BACKEND, a broken backend module...
        raise KeyringUnavailable(_keyring_reason(err)) from None
    unusable = isinstance(backend, fail.Keyring | null.Keyring) or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    )
    if unusable:
        backend = _secret_service_after_all()
        if backend is None:
            raise KeyringUnavailable(_no_backend_reason())
    return backend


def _secret_service_after_all() -> Any:
    """The Secret Service backend when keyring's one-time detection missed it only
    because the bus was slow to answer (and nobody chose a backend explicitly)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        import keyring.core
        from keyring.backends import SecretService

        if keyring.core.load_env() or keyring.core.load_config():
            return None
    except Exception:
        return None
    for attempt in range(KEYRING_ATTEMPTS):
        try:
            SecretService.Keyring.priority  # noqa: B018 - raises when not usable
        except Exception as err:
            if not _transient(err):
                return None
            time.sleep(0.2 * (attempt + 1))
            continue
        return SecretService.Keyring()
    return None


def _keyring_call(fn: Callable[[Any], T]) -> T:
    for attempt in range(KEYRING_ATTEMPTS):
        backend = _backend()
        try:
            return fn(backend)
        except Exception as err:
            if _transient(err) and attempt + 1 < KEYRING_ATTEMPTS:
                time.sleep(0.3 * (attempt + 1))
                continue
            # Keyring, secretstorage and jeepney errors never carry the secret itself,
            # but we still keep only the type and the first line.
            raise KeyringUnavailable(_keyring_reason(err)) from None
    raise AssertionError("unreachable")


def _kr_get(entry: str) -> str | None:
    return _keyring_call(lambda b: b.get_password(KEYRING_SERVICE, entry))


def _kr_set(entry: str, key: str) -> None:
    _keyring_call(lambda b: b.set_password(KEYRING_SERVICE, entry, key))
    if _kr_get(entry) != key:
        raise KeyringUnavailable("the keyring did not keep the wallet key")


def _kr_delete(entry: str) -> None:
    """Remove an entry; an entry that is not there is fine."""
    from keyring.errors import PasswordDeleteError

    def delete(backend: Any) -> None:
        try:
            backend.delete_password(KEYRING_SERVICE, entry)
        except PasswordDeleteError:
            pass

    _keyring_call(delete)


def keyring_unavailable_reason() -> str | None:
    """None when the keyring can be read now, else the one-line reason it cannot."""
    try:
        _kr_get("__ssi_wallet_probe__")
    except KeyringUnavailable as err:
        return str(err)
    return None


# --------------------------------------------------------------------------- askar


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run an Askar coroutine from sync code, even when called inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())  # type: ignore[arg-type]
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()  # type: ignore[arg-type]


def _askar_error(err: Exception, store_uri: str) -> SsiWalletError:
    from aries_askar import AskarErrorCode

    code = getattr(err, "code", None)
    if code == AskarErrorCode.NOT_FOUND:
        return NotFoundError(f"no wallet store at {store_uri}")
    if code == AskarErrorCode.BUSY:
        return AlreadyRunningError("the wallet store is busy: stop the agent first")
    return ServiceError(f"the wallet store could not be opened ({type(err).__name__})")


def key_opens_store(store_uri: str, key: str) -> bool:
    """True when `key` opens the Askar store, False when the store says it is the wrong key."""
    from aries_askar import AskarError, AskarErrorCode, Store

    async def attempt() -> bool:
        try:
            store = await Store.open(store_uri, "raw", key)
        except AskarError as err:
            if err.code == AskarErrorCode.ENCRYPTION:
                return False
            raise _askar_error(err, store_uri) from None
        await store.close()
        return True

    return _run(attempt)


def _rekey_store(store_uri: str, old_key: str, new_key: str) -> None:
    from aries_askar import AskarError, Store

    async def rekey() -> None:
        try:
            store = await Store.open(store_uri, "raw", old_key)
        except AskarError as err:
            raise _askar_error(err, store_uri) from None
        try:
            await store.rekey("raw", new_key)
        finally:
            await store.close()

    _run(rekey)


def sqlite_store_uri(db_path: Path) -> str:
    """The Askar URI of a SQLite wallet file, percent-encoded the way ACA-Py builds it
    (`<ACAPY_HOME>/wallet/<wallet name>/sqlite.db`)."""
    return "sqlite://" + urllib.parse.quote(Path(db_path).as_posix())


def sqlite_store_path(store_uri: str) -> Path | None:
    """The database file of a `sqlite://` store URI (None for other backends)."""
    if not store_uri.startswith("sqlite://"):
        return None
    path = urllib.parse.unquote(store_uri[len("sqlite://") :].split("?", 1)[0])
    if not path or path == ":memory:":
        return None
    return Path(path)


def store_in_use(store_uri: str) -> list[int]:
    """Pids of other processes that have the store's SQLite files open (Linux /proc), or
    [-1] when SQLite reports the database locked. Empty when it looks free."""
    db = sqlite_store_path(store_uri)
    if db is None or not db.exists():
        return []
    names = {str(db.resolve()) + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    pids: list[int] = []
    proc = Path("/proc")
    if proc.is_dir():
        me = os.getpid()
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                fds = list((entry / "fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target in names:
                    pids.append(int(entry.name))
                    break
    if pids:
        return sorted(pids)
    try:
        conn = sqlite3.connect(f"file:{db}?mode=rw", uri=True, timeout=0)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as err:
        if "locked" in str(err) or "busy" in str(err):
            return [-1]
    return []


def _ensure_store_free(store_uri: str) -> None:
    pids = store_in_use(store_uri)
    if pids:
        who = "another process" if pids == [-1] else "process " + ", ".join(map(str, pids))
        raise AlreadyRunningError(
            f"the wallet is in use by {who}: stop the agent first (ssi-wallet agent stop)"
        )


# --------------------------------------------------------------------------- create


def create_wallet_key(
    wallet_dir: Path, wallet_id: str, *, use_keyring: bool | None = None
) -> tuple[str, KeyInfo, str | None]:
    """Make the key for a new wallet and record how to get it back.

    `use_keyring`: None tries the keyring and falls back to a passphrase, True insists on
    the keyring, False goes straight to a passphrase. Returns the key (for provisioning
    the store, never to be printed), the keyinfo written, and the one-line reason the
    keyring was not used when we fell back (for the CLI to print), else None. If making
    the store then fails, call `delete_wallet_key` so `init` can be run again.
    """
    wallet_dir = private_dir(Path(wallet_dir))
    with wallet_lock(wallet_dir):
        if read_key_info(wallet_dir) is not None:
            raise SsiWalletError(f"{wallet_dir} already has a wallet key: delete the wallet first")
        reason: str | None = None
        entry = f"{wallet_id}.{secrets.token_hex(4)}"
        if use_keyring is not False:
            key = new_random_key()
            try:
                # Keyring first, then keyinfo: a crash in between leaves only an orphan
                # entry (a key that opens nothing).
                _kr_set(entry, key)
            except KeyringUnavailable as err:
                if use_keyring:
                    raise
                reason = str(err)
            else:
                info = KeyInfo(
                    wallet_id, "keyring", key_check(key), keyring_entry=entry, created=_now()
                )
                _write_info(wallet_dir, info)
                return key, info, None
        kdf = new_kdf_params()
        key = derive_key(read_new_passphrase(), kdf)
        info = KeyInfo(
            wallet_id, "passphrase", key_check(key), kdf=kdf, keyring_entry=entry, created=_now()
        )
        _write_info(wallet_dir, info)
        return key, info, reason


# --------------------------------------------------------------------------- load


def _spec(info: KeyInfo) -> dict[str, Any]:
    return {"method": info.method, "check": info.check, "kdf": info.kdf}


def load_wallet_key(wallet_dir: Path, *, store_uri: str | None = None) -> str:
    """The wallet key, checked against keyinfo before anything uses it.

    Raises SecretError with one line: wrong passphrase, keyring locked or unavailable,
    keyring entry missing. If a rekey was interrupted, finishes or undoes it first (that
    needs the store, so it uses `store_uri` or the one the rekey recorded).
    """
    wallet_dir = Path(wallet_dir)
    info = read_key_info(wallet_dir)
    if info is None:
        raise NotFoundError(f"no wallet key in {wallet_dir}: run `ssi-wallet init` first")
    if info.pending:
        with wallet_lock(wallet_dir):
            return _resolve_pending(wallet_dir, store_uri)
    if info.method == "keyring":
        try:
            key = _kr_get(info.entry)
        except KeyringUnavailable as err:
            raise KeyringUnavailable(f"cannot read the wallet key: {err}") from None
        if key is None:
            raise SecretError(
                f"the wallet key is missing from the keyring "
                f"(service {info.keyring_service!r}, entry {info.entry!r})"
            )
        if not _safe_match(key, info.check):
            raise SecretError("the keyring entry for this wallet holds a different key")
        return key
    key = derive_key(read_passphrase(), info.kdf or {})
    if not _check_matches(key, info.check):
        raise SecretError("wrong passphrase")
    return key


def _safe_match(key: str, check: str) -> bool:
    try:
        return _check_matches(key, check)
    except ValueError:  # not base58: someone else's value under our entry
        return False


def _resolve_pending(wallet_dir: Path, store_uri: str | None) -> str:
    """Finish or undo an interrupted rekey: whichever known key opens the store wins."""
    info = read_key_info(wallet_dir)
    assert info is not None
    if not info.pending:
        return load_wallet_key(wallet_dir, store_uri=store_uri)
    pending = info.pending
    store_uri = store_uri or pending.get("store_uri")
    if not store_uri:
        raise SecretError("an interrupted rekey needs the wallet store to finish")
    old_spec, new_spec = _spec(info), pending
    old_key, new_key = _keyring_candidates(info, old_spec, new_spec)
    if new_key is None or not key_opens_store(store_uri, new_key):
        # Only now ask for a passphrase, if one of the two keys comes from one.
        old_key, new_key = _passphrase_candidates(old_key, new_key, old_spec, new_spec)
    if new_key is not None and key_opens_store(store_uri, new_key):
        _finish_rekey(wallet_dir, info, new_key)
        return new_key
    if old_key is not None and key_opens_store(store_uri, old_key):
        _undo_rekey(wallet_dir, info)
        return old_key
    if old_key is None and new_key is None:
        raise SecretError("wrong passphrase")
    if new_key is None and new_spec["method"] == "passphrase":
        raise SecretError(
            "a passphrase change was interrupted after the wallet was re-encrypted: "
            "use the new passphrase"
        )
    if old_key is None and old_spec["method"] == "passphrase":
        raise SecretError(
            "a passphrase change was interrupted before the wallet was re-encrypted: "
            "use the old passphrase"
        )
    raise SecretError("neither the old nor the new wallet key opens the wallet")


def _keyring_candidates(
    info: KeyInfo, old_spec: dict[str, Any], new_spec: dict[str, Any]
) -> tuple[str | None, str | None]:
    """The old and new keys the keyring still has (either entry may hold either key,
    depending on where a rekey stopped)."""
    specs = (old_spec, new_spec)
    found: list[str | None] = [None, None]
    if any(s["method"] == "keyring" for s in specs):
        for entry in (info.entry, info.entry + PENDING_SUFFIX):
            try:
                value = _kr_get(entry)
            except KeyringUnavailable:
                if all(s["method"] == "keyring" for s in specs):
                    raise
                continue
            for i, spec in enumerate(specs):
                if value and spec["method"] == "keyring" and _safe_match(value, spec["check"]):
                    found[i] = value
    return found[0], found[1]


def _passphrase_candidates(
    old_key: str | None, new_key: str | None, old_spec: dict[str, Any], new_spec: dict[str, Any]
) -> tuple[str | None, str | None]:
    """Fill in the old or new key from the passphrase (asked once) where one applies."""
    specs = (old_spec, new_spec)
    found: list[str | None] = [old_key, new_key]
    if any(s["method"] == "passphrase" and found[i] is None for i, s in enumerate(specs)):
        phrase = read_passphrase()
        for i, spec in enumerate(specs):
            if spec["method"] == "passphrase" and found[i] is None:
                key = derive_key(phrase, spec["kdf"] or {})
                if _check_matches(key, spec["check"]):
                    found[i] = key
    return found[0], found[1]


def _finish_rekey(wallet_dir: Path, info: KeyInfo, new_key: str) -> KeyInfo:
    """The store has the new key: make it the current one, then forget the old one."""
    pending = info.pending or {}
    if pending["method"] == "keyring":
        if _kr_get(info.entry) != new_key:
            _kr_set(info.entry, new_key)
    done = replace(
        info,
        method=pending["method"],
        check=pending["check"],
        kdf=pending.get("kdf"),
        pending=None,
    )
    _write_info(wallet_dir, done)
    # From here the old key is no longer needed; failures below only leave stale entries.
    with contextlib.suppress(KeyringUnavailable):
        _kr_delete(info.entry + PENDING_SUFFIX)
    if done.method == "passphrase" and info.method == "keyring":
        with contextlib.suppress(KeyringUnavailable):
            _kr_delete(info.entry)
    return done


def _undo_rekey(wallet_dir: Path, info: KeyInfo) -> KeyInfo:
    """The store still has the old key: drop the pending new one."""
    undone = replace(info, pending=None)
    _write_info(wallet_dir, undone)
    if (info.pending or {}).get("method") == "keyring":
        with contextlib.suppress(KeyringUnavailable):
            _kr_delete(info.entry + PENDING_SUFFIX)
    return undone


# --------------------------------------------------------------------------- rekey


def rekey_wallet(wallet_dir: Path, store_uri: str, *, to_method: Method | None = None) -> KeyInfo:
    """Re-encrypt the wallet under a new key (random, or from a new passphrase).

    The agent must be stopped. Order, so that a crash anywhere loses nothing:
    1. the new key is made recoverable: a keyring entry "<id>#pending", or for a
       passphrase the user knows it; then keyinfo records `pending` (new check, KDF
       salt, store URI) next to the current spec;
    2. the store is rekeyed (one SQLite transaction in Askar);
    3. the keyring's main entry gets the new key, keyinfo drops `pending`, the
       "#pending" entry (and a keyring entry no longer used) is deleted.
    Until step 3 writes keyinfo, both keys can be had and `load_wallet_key` tries the
    store with each to know which one is right.
    """
    wallet_dir = Path(wallet_dir)
    if read_key_info(wallet_dir) is None:
        raise NotFoundError(f"no wallet key in {wallet_dir}: run `ssi-wallet init` first")
    with wallet_lock(wallet_dir):
        _ensure_store_free(store_uri)
        info = read_key_info(wallet_dir)
        assert info is not None
        if info.pending:
            _resolve_pending(wallet_dir, store_uri)
            info = read_key_info(wallet_dir)
            assert info is not None
        old_key = load_wallet_key(wallet_dir, store_uri=store_uri)
        if not key_opens_store(store_uri, old_key):
            raise SecretError(f"the wallet key does not open the store at {store_uri}")
        method: Method = to_method or info.method
        pending: dict[str, Any] = {"method": method, "started": _now()}
        if sqlite_store_path(store_uri) is not None:
            # A path only; other backends' URIs carry database credentials, and then a
            # later load must be given the URI to settle an interrupted rekey.
            pending["store_uri"] = store_uri
        if method == "keyring":
            new_key = new_random_key()
            _kr_set(info.entry + PENDING_SUFFIX, new_key)
        else:
            kdf = new_kdf_params()
            new_key = derive_key(read_new_passphrase(env_var=NEW_PASSPHRASE_ENV), kdf)
            pending["kdf"] = kdf
        pending["check"] = key_check(new_key)
        info.pending = pending
        _write_info(wallet_dir, info)  # step 1 done: both keys recoverable
        try:
            _rekey_store(store_uri, old_key, new_key)  # step 2
        except BaseException:
            # Did the store change before the failure? Ask it, then settle keyinfo.
            with contextlib.suppress(Exception):
                if key_opens_store(store_uri, new_key):
                    return _finish_rekey(wallet_dir, info, new_key)
                if key_opens_store(store_uri, old_key):
                    _undo_rekey(wallet_dir, info)
            raise
        return _finish_rekey(wallet_dir, info, new_key)  # step 3


# --------------------------------------------------------------------------- delete


def delete_wallet_key(wallet_dir: Path) -> str | None:
    """Forget the wallet's key: its keyring entries, then keyinfo.

    Returns None, or one line saying a keyring entry could not be removed (keyring locked
    or gone); keyinfo is removed anyway, since the wallet is being deleted.
    """
    wallet_dir = Path(wallet_dir)
    info = read_key_info(wallet_dir)
    if info is None:
        return None
    warning: str | None = None
    with wallet_lock(wallet_dir):
        uses_keyring = info.method == "keyring" or (info.pending or {}).get("method") == "keyring"
        for entry in (info.entry, info.entry + PENDING_SUFFIX):
            try:
                _kr_delete(entry)
            except KeyringUnavailable as err:
                if uses_keyring:
                    warning = f"the keyring entry could not be removed: {err}"
                break
        keyinfo_path(wallet_dir).unlink(missing_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (wallet_dir / LOCK_NAME).unlink()
    return warning
