"""One bounded wait for the tests: what another agent or process does in the
background arrives a moment later. The loop itself is the product's
(`World.wait_until`); tests only choose which error a timeout raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ssi_wallet.errors import NotFoundError
from ssi_wallet.scenarios.world import World


def eventually(
    probe: Callable[[], Any],
    timeout: float = 60.0,
    interval: float = 0.3,
    *,
    error: type[Exception] = AssertionError,
) -> Any:
    """Call ``probe`` until it returns something truthy (and return that); on
    timeout raise ``error`` so the calling test fails."""
    try:
        return World.wait_until(probe, timeout=timeout, interval=interval)
    except NotFoundError as exc:
        raise error(str(exc)) from None
