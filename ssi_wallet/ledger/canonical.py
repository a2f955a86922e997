"""Canonical encodings shared by the ledger: compact JSON and msgpack merkle leaves."""

from __future__ import annotations

import json
from typing import Any

import msgpack


def dumps(obj: Any) -> str:
    """Compact JSON with sorted keys: the one text form stored and replayed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sorted(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sorted(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [_sorted(v) for v in obj]
    return obj


def leaf_bytes(txn: dict) -> bytes:
    """A transaction as a merkle leaf: msgpack with keys sorted recursively (as indy-vdr/plenum)."""
    return msgpack.packb(_sorted(txn), use_bin_type=True)
