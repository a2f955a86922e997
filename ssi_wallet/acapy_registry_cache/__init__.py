"""Runs inside every agent of ours (`--plugin ssi_wallet.acapy_registry_cache`).

ACA-Py 0.12.8 caches the schemas and credential definitions it reads from the ledger
(in its in-memory cache, for the ledger pool's `cache_duration`: 600 s), but reads a
revocation registry's definition afresh every time: the holder when it stores a
credential and again whenever it proves with it, the verifier at every proof it checks.
Each read is a ledger round trip with its state proof checked (3-7 ms on the embedded
ledger, more on a real network): three per revocable issuance and proof, two of them on
the proof's path. This plugin puts those reads behind the same cache, with the same
lifetime, as ACA-Py's credential definitions. Deltas and entries of a registry change
with every revocation and are never cached. The ledger lets a registry's owner rewrite
its definition (a new tails location, say); our agents see that within the cache
lifetime, as they would a rewritten credential definition.

This package imports ACA-Py; the CLI never imports it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aries_cloudagent.config.injection_context import InjectionContext
from aries_cloudagent.ledger.indy_vdr import IndyVdrLedger

KEY_PREFIX = "ssi_wallet::revoc_reg_def::"


async def setup(context: InjectionContext) -> None:
    """ACA-Py calls this once at start-up."""
    install()


def install() -> None:
    """Route `IndyVdrLedger.get_revoc_reg_def` through the ledger pool's cache (once)."""
    fetch = IndyVdrLedger.get_revoc_reg_def
    if getattr(fetch, "ssi_wallet_cached", False):
        return
    cached = _cached(fetch)
    cached.ssi_wallet_cached = True  # type: ignore[attr-defined]
    IndyVdrLedger.get_revoc_reg_def = cached  # type: ignore[method-assign]


def _cached(fetch: Callable[[IndyVdrLedger, str], Awaitable[dict[str, Any]]]
            ) -> Callable[[IndyVdrLedger, str], Awaitable[dict[str, Any]]]:
    @functools.wraps(fetch)
    async def get_revoc_reg_def(self: IndyVdrLedger, revoc_reg_id: str) -> dict[str, Any]:
        cache = self.pool.cache
        if not cache:  # ACA-Py started without a cache: as stock
            return await fetch(self, revoc_reg_id)
        async with cache.acquire(KEY_PREFIX + revoc_reg_id) as entry:
            if entry.result:
                definition = entry.result
            else:
                definition = await fetch(self, revoc_reg_id)  # raises when not found
                await entry.set_result(definition, self.pool.cache_duration)
        # callers get their own copy: the cached one must stay as the ledger gave it
        return copy.deepcopy(definition)

    return get_revoc_reg_def
