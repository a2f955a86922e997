"""Financial Emergency Brake (CJIB): a valid, non-revoked DebtSupportCertificate from a
recognised municipality (trusted issuer DIDs in the agency's settings), presented over the
connection made from the citizen's CJIB-case invitation (`verifier invite --case REF`)
-> the brake is applied on that case: collection paused, no surcharges.

Re-checks (periodic in `verifier serve`, on demand with `verifier recheck --case REF`)
send the same request again over the case's connection: verified -> the brake continues;
not verified (a revoked certificate proves false) or declined -> the brake is lifted.
The brake's history (applied / continued / lifted, with reasons) stays in the case store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ssi_wallet.agency.workflows import Decision

if TYPE_CHECKING:
    from ssi_wallet.agency.workflows import Context

OPTIONS: dict[str, Any] = {
    "require_case_invitation": True,   # only over a connection from `verifier invite --case`
}


def check_options(options: dict[str, Any]) -> str | None:
    value = options.get("require_case_invitation", True)
    return None if isinstance(value, bool) else "require_case_invitation must be true/false"


def decide(ctx: Context) -> Decision:
    facts = ctx.facts
    active = ctx.store.brake_active(ctx.case_ref, ctx.tx)
    values = {"case_ref": ctx.case_ref}
    linked = ctx.case.get("origin") == "invitation"
    if facts.outcome == "verified" and ctx.option("require_case_invitation") and not linked:
        return Decision("not_applied", "brake not applied: the proof did not come over the "
                        "connection made from a CJIB case invitation", values)
    if facts.outcome == "verified":
        if active:
            ctx.store.add_brake_event(ctx.tx, ctx.case_ref, "continued",
                                      "re-check passed", ctx.pres_ex_id)
            return Decision("brake_continued", f"brake stays on case {ctx.case_ref}: the "
                            "debt support is still valid", values)
        ctx.store.add_brake_event(ctx.tx, ctx.case_ref, "applied",
                                  "valid debt-support certificate", ctx.pres_ex_id)
        ctx.store.set_case_status(ctx.tx, ctx.case_ref, "brake applied")
        return Decision("brake_applied", f"brake applied on case {ctx.case_ref}: collection "
                        "paused, no surcharges", values)
    reason = ("the citizen declined" if facts.outcome == "declined"
              else "; ".join(facts.problems[:2]) or "proof not accepted")
    if active:
        ctx.store.add_brake_event(ctx.tx, ctx.case_ref, "lifted", reason, ctx.pres_ex_id)
        ctx.store.set_case_status(ctx.tx, ctx.case_ref, "brake lifted")
        return Decision("brake_lifted", f"brake lifted on case {ctx.case_ref}: {reason}",
                        {**values, "reason": reason})
    return Decision("not_applied", f"brake not applied on case {ctx.case_ref}: {reason}",
                    {**values, "reason": reason})
