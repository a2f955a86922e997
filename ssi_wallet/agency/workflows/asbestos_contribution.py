"""Asbestos contribution (SVB, TAS): a medical declaration with a diagnosis on the
scheme's list (ICD-10: J61 asbestosis, C45 mesothelioma; configurable) -> the
contribution is awarded (amount: the dated figure on the decision date), recorded once per
case and scheme, and the policy's `issue` action hands the citizen an AsbestosAward
credential over the same connection, which other agencies can rely on in turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ssi_wallet.agency.workflows import Decision
from ssi_wallet.encoding import date_to_int, format_cents, parse_operand

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agency.policy import Policy
    from ssi_wallet.agency.workflows import Context

OPTIONS: dict[str, Any] = {
    "diagnosis_codes": ["J61", "C45"],     # ICD-10 codes (a code matches its subcodes)
    "code_attribute": "diagnosis_code",
    "amount_figure": "tas_contribution",
    "scheme": "TAS",
}


def check_options(options: dict[str, Any]) -> str | None:
    codes = options.get("diagnosis_codes", OPTIONS["diagnosis_codes"])
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        return "diagnosis_codes must be a list of ICD-10 codes like J61"
    return None


def check(policy: Policy, agency: AgencyConfig) -> list[str]:
    opts = {**OPTIONS, **policy.workflow_options}
    problems = []
    if opts["amount_figure"] not in agency.figures:
        problems.append(f"workflow asbestos_contribution: agency {agency.name} has no figure "
                        f"{opts['amount_figure']!r}")
    if opts["code_attribute"] not in policy.reveal:
        problems.append(f"workflow asbestos_contribution needs {opts['code_attribute']} "
                        "revealed")
    return problems


def code_on_list(code: str, codes: list[str]) -> bool:
    code = code.strip().upper()
    for listed in codes:
        listed = listed.strip().upper()
        if code == listed or code.startswith(listed + "."):
            return True
    return False


def decide(ctx: Context) -> Decision:
    facts = ctx.facts
    scheme = ctx.option("scheme")
    if facts.outcome == "declined":
        return Decision("not_awarded", "no award: the citizen declined", {"scheme": scheme})
    if facts.outcome != "verified":
        reason = "; ".join(facts.problems[:2]) or "proof not accepted"
        return Decision("not_awarded", f"no award: {reason}", {"scheme": scheme})
    code = facts.revealed.get(ctx.option("code_attribute"), "")
    if not code_on_list(code, list(ctx.option("diagnosis_codes"))):
        return Decision("not_eligible", f"not eligible for {scheme}: the diagnosis is not on "
                        "the scheme's list", {"scheme": scheme})
    amount = parse_operand("amount_cents", ctx.agency.figure(ctx.option("amount_figure"),
                                                             ctx.today))
    decision_ref = f"{scheme}-{ctx.today.strftime('%Y%m%d')}-{ctx.pres_ex_id[:8].upper()}"
    values = {"scheme": scheme, "amount_cents": amount, "amount": format_cents(amount),
              "award_date": date_to_int(ctx.today), "decision_ref": decision_ref,
              "diagnosis_code": code}
    if not ctx.store.add_award(ctx.tx, ctx.case_ref, scheme, amount, decision_ref,
                               ctx.pres_ex_id):
        return Decision("already_awarded", f"{scheme} was already awarded on this case",
                        {"scheme": scheme})
    ctx.store.set_case_status(ctx.tx, ctx.case_ref, f"awarded {scheme}")
    return Decision("awarded", f"{scheme} awarded: {format_cents(amount)} ({decision_ref})",
                    values)
