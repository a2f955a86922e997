"""The ride-hailing driver: a monthly income statement from the platform; the
municipality pays the difference to the social minimum in months below it, nothing in
months above it, and nothing is owed afterwards. After the first month his standing
consent answers the monthly request without him."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from ssi_wallet.encoding import format_cents, format_month
from ssi_wallet.scenarios.narrator import Narrator
from ssi_wallet.scenarios.world import World, examples_dir

NAME = "income-supplement"
INCOMES_CENTS = (123400, 176000, 98000)   # EUR 1,234 / 1,760 / 980 against EUR 1,500
CITIZEN = "Jan de Vries"
AGENCIES = ("employer", "municipality")
TYPES = {"employer": {"IncomeStatement": False}}


def trust(world: World) -> dict[str, dict[str, Any]]:
    return {"municipality": {"trusted_employers": [world.did("employer")]}}


def months_back(count: int, today: dt.date) -> list[int]:
    """The `count` months before this one, oldest first, as YYYYMM."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(year * 100 + month)
    return list(reversed(months))


def run(world: World, narrator: Narrator, *, months: int = 3) -> dict[str, Any]:
    from ssi_wallet.agency.verifier import policy_for, send_request, wait_for_outcome
    from ssi_wallet.holder.consent import grant

    today = dt.date.today()
    narrator.intro()
    with narrator.step("setup", "system") as step:
        citizen = world.set_stage(sys.modules[__name__])
        step.outcome = "ledger, employer, municipality and the citizen's wallet are ready"
    with narrator.step("connect-employer", "citizen"):
        _, employer_conn = world.connect_to_issuer("employer", citizen)
    case_ref = f"INCOME-{today:%Y%m%d}-{world.run_id}"
    with narrator.step("connect-municipality", "citizen"):
        invitation = world.case_invitation("municipality", case_ref, "income-supplement.yaml")
        citizen_conn = world.connect(citizen, invitation["invitation_url"]).id
        agency_conn = world.agency_connection("municipality", invitation["invi_msg_id"])
    config = world.config("municipality")
    client = world.agency_client("municipality")
    policy = policy_for(config, examples_dir() / "policies" / "income-supplement.yaml")
    results = []
    for index, month in enumerate(months_back(months, today)):
        cents = INCOMES_CENTS[index % len(INCOMES_CENTS)]
        words = {"month": format_month(month), "amount": format_cents(cents)}
        with narrator.step("statement", "employer", **words) as step:
            world.issue("employer", employer_conn, "IncomeStatement", {
                "month": f"{month // 100}-{month % 100:02d}", "net_income_cents": str(cents),
                "gross_income_cents": str(int(cents * 1.3)), "employer_name": "RideCo",
                "employee_ref": "D-4711", "issue_date": today.isoformat(),
                "valid_until": (today + dt.timedelta(days=60)).isoformat()}, citizen)
            step.outcome = f"income statement for {words['month']} is in the wallet"
        with citizen.events() as citizen_events, client.events() as events:
            with narrator.step("request", "municipality", **words):
                sent = send_request(config, client, policy, connection_id=agency_conn,
                                    case_ref=case_ref, month=month)
            if index == 0:
                with narrator.step("first-answer", "citizen", **words) as step:
                    first = world.answer(citizen, citizen_conn, citizen_events)
                    narrator.view("citizen", "; ".join(
                        c.words for c in first.choices if c.kind == "predicate"))
                    world.answer(citizen, citizen_conn, citizen_events)  # the amount, step 2
                    step.outcome = "the citizen saw the preview and agreed"
            outcome = wait_for_outcome(config, client, sent["pres_ex_id"], events, timeout=90)
        decision = (outcome.decision or {})
        paid = _payment_for(world, case_ref, month)
        with narrator.step("decision", "municipality", **words) as step:
            step.outcome = (f"supplement {format_cents(paid)} paid" if paid is not None
                            else "not entitled this month; nothing is owed")
            narrator.view("municipality", decision.get("summary") or step.outcome)
        results.append({"month": month, "net_income_cents": cents, "paid_cents": paid,
                        "outcome": decision.get("outcome")})
        if index == 0:
            with narrator.step("consent", "citizen") as step:
                consent = grant(citizen, connection_id=citizen_conn, policy=policy.name,
                                until=today + dt.timedelta(days=365),
                                max_per_month=2 * months)
                step.outcome = f"standing consent {consent.id} until {consent.until}"
    return {"scenario": NAME, "case_ref": case_ref, "months": results,
            "case": world.case("municipality", case_ref),
            "disclosures": [world.disclosures("municipality", case_ref)]}


def _payment_for(world: World, case_ref: str, month: int) -> int | None:
    for payment in world.case("municipality", case_ref)["payments"]:
        if int(payment["month"]) == month:
            return int(payment["amount_cents"])
    return None

