"""Crash-safe file writes: a reader sees the old file or the new one, never half of one.

Secret files are created 0600 from the first byte (never chmod-ed after the fact) and
their directories 0700.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

SECRET_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
#: A service's log is rotated when it starts and has grown beyond this.
LOG_ROTATE_BYTES = 5 * 1024 * 1024


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) with mode 0700 for the last component."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def atomic_write(path: Path, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write `data` to `path` via a temporary file, fsync and rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)
    return path


def write_secret(path: Path, data: bytes | str) -> Path:
    """Write a file that holds a secret: 0600 from creation, atomically."""
    return atomic_write(path, data, mode=SECRET_FILE_MODE)


def write_json(path: Path, doc: Any, *, secret: bool = False) -> Path:
    """Write a JSON document atomically (0600 when it holds secrets)."""
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    return atomic_write(path, text, mode=SECRET_FILE_MODE if secret else 0o644)


def rotate_log(path: Path) -> None:
    """Move a log grown beyond `LOG_ROTATE_BYTES` to `<name>.1` (replacing the previous
    one), so a service restarted now and then keeps at most twice that on disk."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))


def read_json(path: Path) -> Any:
    """Read a JSON document written by `write_json`."""
    return json.loads(Path(path).read_text())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
