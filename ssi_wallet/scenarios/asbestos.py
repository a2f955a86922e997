"""The asbestos victim: a lung specialist's declaration arrives in the wallet; the wallet
itself notices, from the SVB's signed scheme catalogue, that it makes him eligible for
the contribution for asbestos victims; he applies from the wallet; the SVB awards it and
issues an award credential that other agencies can in turn rely on."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from ssi_wallet.encoding import format_cents
from ssi_wallet.scenarios.narrator import Narrator
from ssi_wallet.scenarios.world import World, examples_dir

NAME = "asbestos"
SCHEME = "svb-tas"
CITIZEN = "Piet Jansen"
AGENCIES = ("lung-specialist", "svb")
TYPES = {"lung-specialist": {"MedicalDeclaration": False}, "svb": {"AsbestosAward": False}}


def trust(world: World) -> dict[str, dict[str, Any]]:
    return {"svb": {"trusted_specialists": [world.did("lung-specialist")]}}


def run(world: World, narrator: Narrator, **_: Any) -> dict[str, Any]:
    from ssi_wallet.agency.runtime import did_seed
    from ssi_wallet.agency.verifier import wait_for_outcome
    from ssi_wallet.catalogue import load_document, sign_document
    from ssi_wallet.files import atomic_write
    from ssi_wallet.holder.applying import receive_request
    from ssi_wallet.holder.eligibility import evaluate_all, unseen_notices
    from ssi_wallet.holder.offers import accept_offer
    from ssi_wallet.holder.proofs import plan_presentation, present
    from ssi_wallet.holder.schemes import add_scheme

    today = dt.date.today()
    narrator.intro()
    with narrator.step("setup", "system") as step:
        citizen = world.set_stage(sys.modules[__name__])
        step.outcome = "ledger, lung specialist, SVB and the citizen's wallet are ready"
    with narrator.step("publish-scheme", "svb") as step:
        # One multi-use invitation in the published entry: every citizen who applies
        # through it gets a case of his own.
        invitation = world.scheme_invitation("svb", "TAS", "asbestos-contribution.yaml")
        document = load_document(examples_dir() / "schemes" / "svb-tas.yaml")
        document["apply"]["invitation_url"] = invitation["invitation_url"]
        signed = sign_document(document, did_seed(world.config("svb")))
        published = world.home / "published" / "svb-tas.json"
        atomic_write(published, json.dumps(signed, indent=2, ensure_ascii=False))
        add_scheme(citizen, str(published))
        step.outcome = "signed catalogue entry published; the wallet checked the signature"
    with narrator.step("connect-specialist", "citizen"):
        _, specialist_conn = world.connect_to_issuer("lung-specialist", citizen)
    with narrator.step("declaration", "lung-specialist") as step:
        world.issue("lung-specialist", specialist_conn, "MedicalDeclaration", {
            "diagnosis_code": "J61", "diagnosis_date": (today - dt.timedelta(days=20)).isoformat(),
            "specialist_ref": "BIG-19052338", "issue_date": today.isoformat()}, citizen)
        step.outcome = "medical declaration (asbestosis, J61) is in the wallet"
    with narrator.step("notice", "citizen") as step:
        notices = world.wait_until(lambda: unseen_notices(citizen), timeout=30)
        text = (notices[0].get("text") or {}).get(narrator.lang) or notices[0]["scheme_id"]
        narrator.view("citizen", f"You may be eligible: {text} ({notices[0]['agency']})")
        verdict = next(v for v in evaluate_all(citizen) if v.scheme.id == SCHEME)
        step.outcome = f"{SCHEME}: {verdict.status.replace('_', ' ')} ({verdict.reason})"
    config, client = world.config("svb"), world.agency_client("svb")
    with client.events() as events, citizen.events() as citizen_events:
        with narrator.step("apply", "citizen") as step:
            connection, request_id = receive_request(citizen, SCHEME, timeout=60)
            case_ref = world.case_of_request("svb", citizen, request_id)
            plan = plan_presentation(citizen, request_id)
            narrator.view("citizen", "; ".join(
                [f"reveals {k}" for k in plan.revealed] +
                [c.words for c in plan.choices if c.kind == "predicate"]))
            present(citizen, plan)
            step.outcome = "application sent from the wallet"
        first = world.exchanges("svb", case_ref)[0].pres_ex_id
        wait_for_outcome(config, client, first, events, timeout=90)
        case = world.case("svb", case_ref)
        awards = case["awards"]
        with narrator.step("award", "svb") as step:
            step.outcome = (f"awarded {format_cents(int(awards[0]['amount_cents']))} "
                            f"({awards[0]['decision_ref']})" if awards else "not awarded")
        with narrator.step("award-credential", "citizen") as step:
            offer = world.next_offer(citizen, citizen_events,
                                     lambda o: o.credential_type == "AsbestosAward")
            award_credential = accept_offer(citizen, offer.id)
            step.outcome = "the SVB's award credential is in the wallet"
    return {"scenario": NAME, "case_ref": case_ref, "awards": awards,
            "award_credential_id": award_credential,
            "eligibility": verdict.status, "notices": len(notices), "case": case,
            "disclosures": [world.disclosures("svb", case_ref)],
            "connection_id": connection.id}
