"""Income supplement (municipality): pay the difference to the social minimum.

The policy asks a zero-knowledge predicate `net_income < social_minimum` AND reveals
`month` and `net_income_cents`, because paying the difference needs the amount. A citizen
whose income is at or above the minimum cannot build the predicate proof, so his wallet
declines (a problem report): the municipality learns nothing but "not entitled this
month", and nothing is owed later. AnonCreds refuses to reveal an attribute and prove a
predicate on it in one proof, so the amount comes in a second request (`then_reveal:`),
sent only after the predicate proof was verified, restricted to the same credential
definition and month. So:

- verified: net income for that month below the minimum that applies ON THAT MONTH (the
  agency's dated figure) -> a payment of the difference, recorded once per case and
  month (a second proof for the same month pays nothing: "already_paid");
- declined -> "not_entitled", nothing owed;
- not verified (bad proof, untrusted issuer, ...) -> "not_entitled", with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ssi_wallet.agency.workflows import Decision
from ssi_wallet.encoding import format_cents, format_month, parse_operand

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agency.policy import Policy
    from ssi_wallet.agency.workflows import Context

OPTIONS: dict[str, Any] = {
    "figure": "social_minimum",            # the dated figure (money) in the agency config
    "amount_attribute": "net_income_cents",
    "month_attribute": "month",
}


def check(policy: Policy, agency: AgencyConfig) -> list[str]:
    from ssi_wallet.agency.policy import attribute_names

    opts = {**OPTIONS, **policy.workflow_options}
    problems = []
    if opts["figure"] not in agency.figures:
        problems.append(f"workflow income_supplement: agency {agency.name} has no figure "
                        f"{opts['figure']!r}")
    names = attribute_names(policy, agency)
    revealed = {names.get(n, n) for n in (*policy.reveal, *policy.then_reveal)}
    for key in ("amount_attribute", "month_attribute"):
        if opts[key] not in revealed:
            problems.append(f"workflow income_supplement needs {opts[key]} revealed "
                            "(paying the difference needs the amount and the month)")
    return problems


def decide(ctx: Context) -> Decision:
    facts = ctx.facts
    if facts.outcome == "declined":
        return Decision("not_entitled", "not entitled this month: the citizen's wallet "
                        "declined (no proof of income below the minimum); nothing is owed",
                        {"amount_cents": 0})
    if facts.outcome != "verified":
        reason = "; ".join(facts.problems[:2]) or "proof not accepted"
        return Decision("not_entitled", f"not entitled: {reason}", {"amount_cents": 0})
    month_raw = facts.revealed.get(ctx.option("month_attribute"))
    amount_raw = facts.revealed.get(ctx.option("amount_attribute"))
    try:
        month = int(month_raw or "")
        net = int(amount_raw or "")
        first_day = dt.date(month // 100, month % 100, 1)
    except ValueError:
        return Decision("not_entitled", "not entitled: the proof lacks a readable month or "
                        "amount", {"amount_cents": 0})
    figure = ctx.option("figure")
    minimum = parse_operand("minimum_cents", ctx.agency.figure(figure, first_day))
    values = {"month": month, "month_text": format_month(month), "net_income_cents": net,
              "minimum_cents": minimum, "minimum": format_cents(minimum)}
    if net >= minimum:
        return Decision("not_entitled", f"not entitled for {format_month(month)}: net income "
                        f"is not below the minimum {format_cents(minimum)}",
                        {**values, "amount_cents": 0})
    amount = minimum - net
    values.update(amount_cents=amount, amount=format_cents(amount))
    if not ctx.store.add_payment(ctx.tx, ctx.case_ref, month, amount, ctx.pres_ex_id):
        return Decision("already_paid", f"already paid for {format_month(month)}; no second "
                        "payment", {**values, "amount_cents": 0, "amount": format_cents(0)})
    ctx.store.set_case_status(ctx.tx, ctx.case_ref, f"paid {month}")
    return Decision("entitled", f"entitled for {format_month(month)}: pay "
                    f"{format_cents(amount)} (minimum {format_cents(minimum)})", values)
