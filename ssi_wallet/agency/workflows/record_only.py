"""No workflow: the decision is the proof's outcome itself (verified, not_verified,
declined); the policy's actions do the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ssi_wallet.agency.workflows import Decision

if TYPE_CHECKING:
    from ssi_wallet.agency.workflows import Context

OPTIONS: dict[str, object] = {}


def decide(ctx: Context) -> Decision:
    facts = ctx.facts
    summary = {"verified": "proof accepted", "declined": "the citizen declined"}.get(
        facts.outcome, "proof not accepted: " + "; ".join(facts.problems[:2]))
    return Decision(facts.outcome, summary, dict(facts.revealed))
