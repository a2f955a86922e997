"""Runs inside the citizen's ACA-Py holder agent (`--plugin ssi_wallet.acapy_plugin`).

It answers proof requests under the citizen's standing consent as they arrive, and
it keeps the wallet's history where the credentials are: as records in the agent's
encrypted Askar wallet. It listens on the agent's own event bus, so disclosures made in
the background are recorded as surely as those made from a command, and serves the
history at `/ssi-wallet/history` on the admin API (behind the admin key).

This package imports ACA-Py; the CLI never imports it.
"""

from __future__ import annotations

from aries_cloudagent.config.injection_context import InjectionContext

from ssi_wallet.acapy_plugin import consent, history, notices, received, stranded


async def setup(context: InjectionContext) -> None:
    """ACA-Py calls this once at start-up."""
    history.subscribe(context)
    consent.subscribe(context)
    notices.subscribe(context)
    stranded.subscribe(context)
    received.subscribe(context)
