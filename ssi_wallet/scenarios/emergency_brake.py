"""The CJIB's Financial Emergency Brake: a citizen in municipal debt support proves it to
the CJIB, over the connection made from his case's invitation, without revealing his
debts; collection on his case is paused. When the support ends the municipality revokes
the certificate, the next check fails, and the brake is lifted."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from ssi_wallet.scenarios.narrator import Narrator
from ssi_wallet.scenarios.world import World, examples_dir

NAME = "emergency-brake"
CITIZEN = "Fatima El Amrani"
AGENCIES = ("municipality", "cjib")
TYPES = {"municipality": {"DebtSupportCertificate": True}}


def trust(world: World) -> dict[str, dict[str, Any]]:
    return {"cjib": {"recognised_municipalities": [world.did("municipality")]}}


def run(world: World, narrator: Narrator, **_: Any) -> dict[str, Any]:
    from ssi_wallet.agency.verifier import policy_for, recheck, wait_for_outcome
    from ssi_wallet.holder.consent import grant

    today = dt.date.today()
    narrator.intro()
    with narrator.step("setup", "system") as step:
        citizen = world.set_stage(sys.modules[__name__])
        step.outcome = "ledger, municipality, CJIB and the citizen's wallet are ready"
    with narrator.step("connect-municipality", "citizen"):
        _, municipality_conn = world.connect_to_issuer("municipality", citizen)
    with narrator.step("certificate", "municipality") as step:
        world.issue("municipality", municipality_conn, "DebtSupportCertificate", {
            "support_type": "debt-counselling", "municipality": "Eindhoven",
            "start_date": (today - dt.timedelta(days=30)).isoformat(),
            "valid_until": (today + dt.timedelta(days=365)).isoformat(),
            "case_ref": f"SHV-{world.run_id}"}, citizen)
        step.outcome = "debt-support certificate is in the wallet"
    case_ref = f"CJIB-{today:%Y%m%d}-{world.run_id}"
    config = world.config("cjib")
    client = world.agency_client("cjib")
    with citizen.events() as citizen_events, client.events() as events:
        with narrator.step("case-invitation", "cjib", case=case_ref):
            invitation = world.case_invitation("cjib", case_ref, "emergency-brake.yaml")
        with narrator.step("connect-cjib", "citizen") as step:
            connection = world.connect(citizen, invitation["invitation_url"])
            step.outcome = "connected; the CJIB asks for proof of debt support right away"
        with narrator.step("present", "citizen") as step:
            plan = world.answer(citizen, connection.id, citizen_events)
            narrator.view("citizen", "; ".join(c.words for c in plan.choices) or "-")
            step.outcome = "proof sent: nothing about the debts is revealed"
        first = world.exchanges("cjib", case_ref)[0].pres_ex_id
        wait_for_outcome(config, client, first, events, timeout=90)
    with narrator.step("brake-applied", "cjib", case=case_ref) as step:
        applied = world.case("cjib", case_ref)["brake_active"]
        step.outcome = "brake applied: collection paused, no surcharges" if applied \
            else "the brake was NOT applied"
    with narrator.step("consent", "citizen") as step:
        policy = policy_for(config, examples_dir() / "policies" / "emergency-brake.yaml")
        consent = grant(citizen, connection_id=connection.id, policy=policy.name,
                        until=today + dt.timedelta(days=365))
        step.outcome = f"standing consent {consent.id}: re-checks are answered by the wallet"
    with narrator.step("support-ends", "municipality") as step:
        world.revoke("municipality", municipality_conn, "DebtSupportCertificate")
        step.outcome = "certificate revoked on the ledger"
    with client.events() as events:
        with narrator.step("recheck", "cjib", case=case_ref):
            sent = recheck(config, client, case_ref)
        wait_for_outcome(config, client, sent["pres_ex_id"], events, timeout=90)
    case = world.case("cjib", case_ref)
    with narrator.step("brake-lifted", "cjib", case=case_ref) as step:
        step.outcome = "brake lifted: collection resumes" if not case["brake_active"] \
            else "the brake is still on"
    return {"scenario": NAME, "case_ref": case_ref, "brake_applied": applied,
            "brake_active_at_end": case["brake_active"], "case": case,
            "disclosures": [world.disclosures("cjib", case_ref)]}
