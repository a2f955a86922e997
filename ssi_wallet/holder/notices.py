"""The pending-notice marker: a count only (the notices stay in the encrypted wallet),
written by the wallet's agent and read by every command, without starting anything."""

from __future__ import annotations

from pathlib import Path

from ssi_wallet.files import atomic_write

MARKER = "notices.pending"


def marker_path(holder_root: Path) -> Path:
    return holder_root / "run" / MARKER


def write_count(holder_root: Path, count: int) -> None:
    path = marker_path(holder_root)
    if count <= 0:
        path.unlink(missing_ok=True)
    else:
        atomic_write(path, f"{count}\n", mode=0o600)


def read_count(holder_root: Path) -> int:
    try:
        return int(marker_path(holder_root).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0
