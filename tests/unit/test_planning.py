"""The choice of credentials (holder/planning.py) on fetched data: newest valid first,
pages read only as needed, revocation asked for lazily, restrictions as alternatives."""

from __future__ import annotations

import datetime as dt

import pytest

from ssi_wallet.errors import UsageError
from ssi_wallet.holder.models import Credential, ProofRequest, Restriction
from ssi_wallet.holder.planning import (
    PAGE,
    NeedFacts,
    PlanFacts,
    decide_plan,
    item_query,
    satisfies,
)

CRED_DEF = "Th7MpTaRZVRYnPiabds81Y:3:CL:12:default"
OTHER_DEF = "9xVZdX8JxP8eZxXm9xwbTe:3:CL:40:default"
SCHEMA = "Th7MpTaRZVRYnPiabds81Y:2:IncomeStatement:1.0"
TODAY = dt.date(2026, 11, 21)


def cred(cid: str, month: str, income: int = 123400, *, cred_def: str = CRED_DEF,
         revocable: bool = False, valid_until: str = "20271231") -> Credential:
    return Credential(id=cid, cred_def_id=cred_def, schema_id=SCHEMA,
                      attributes={"month": month, "net_income_cents": str(income),
                                  "valid_until": valid_until},
                      rev_reg_id="Th7M:4:x:CL_ACCUM:1" if revocable else None)


def request(*, attrs: bool = True, restriction: dict | None = None) -> ProofRequest:
    restr = [restriction or {"cred_def_id": CRED_DEF}]
    indy = {"name": "income-check", "requested_predicates": {
        "income": {"name": "net_income_cents", "p_type": "<", "p_value": 150000,
                   "restrictions": restr}}}
    if attrs:
        indy["requested_attributes"] = {"month": {"name": "month", "restrictions": restr}}
    indy["non_revoked"] = {"from": 1, "to": 2}
    return ProofRequest.from_record({"pres_ex_id": "p1", "state": "request-received",
                                     "by_format": {"pres_request": {"indy": indy}}})


def run(facts: PlanFacts, store: dict[str, list[Credential]], revoked: set[str], *,
        counted: bool = True):
    """Drive decide_plan as the CLI (pages with a count) and the plugin (without) do;
    count what was fetched."""
    fetched = {"pages": 0, "revocation": []}

    def fetch(refs):
        for ref in refs:
            have = len(facts.candidates.get(ref, []))
            facts.add_page(ref, store[ref][have:have + PAGE],
                           len(store[ref]) if counted else None, PAGE)
            fetched["pages"] += 1

    fetch(["month", "income"] if "month" in store else ["income"])
    while True:
        try:
            return decide_plan(facts), fetched
        except NeedFacts as need:
            fetch(need.more)
            for check in need.revocation:
                fetched["revocation"].append(check.credential.id)
                facts.revoked[check.credential.id] = check.credential.id in revoked


def test_newest_valid_is_chosen_and_the_revoked_newest_skipped() -> None:
    newest_first = [cred("c3", "202610", revocable=True), cred("c2", "202609", revocable=True),
                    cred("c1", "202608", revocable=True)]
    plan, fetched = run(PlanFacts(request(), today=TODAY),
                        {"month": newest_first, "income": newest_first}, revoked={"c3"})
    assert plan.ready
    month, income = plan.choices
    assert month.credential.id == "c2" and income.credential.id == "c2"
    assert month.skipped == (("c3", "revoked by its issuer"),)
    assert fetched["revocation"] == ["c3", "c2"]  # checked lazily, each once


def test_a_large_wallet_reads_one_page_when_the_newest_is_valid() -> None:
    many = [cred(f"c{i}", "202610") for i in range(5000, 0, -1)]
    plan, fetched = run(PlanFacts(request(), today=TODAY),
                        {"month": many, "income": many}, revoked=set())
    assert plan.choices[0].credential.id == "c5000"
    assert plan.choices[0].candidates == 5000
    assert fetched["pages"] == 2  # one page per referent


@pytest.mark.parametrize("counted", [True, False])
def test_pages_on_until_a_valid_one_and_says_why_others_were_skipped(counted: bool) -> None:
    expired = [cred(f"x{i}", "202610", valid_until="20200101") for i in range(PAGE + 5)]
    store = expired + [cred("ok", "202609")]
    plan, fetched = run(PlanFacts(request(attrs=False), today=TODAY), {"income": store},
                        revoked=set(), counted=counted)
    assert plan.choices[0].credential.id == "ok"
    assert len(plan.choices[0].skipped) == PAGE + 5
    assert fetched["pages"] == 2


def test_uncounted_pages_end_at_a_short_page() -> None:
    expired = [cred(f"x{i}", "202610", valid_until="20200101") for i in range(PAGE + 5)]
    plan, fetched = run(PlanFacts(request(attrs=False), today=TODAY), {"income": expired},
                        revoked=set(), counted=False)
    assert not plan.ready and plan.choices[0].candidates == PAGE + 5
    assert "no valid credential" in plan.choices[0].problem
    assert fetched["pages"] == 2


def test_predicate_stays_on_the_attributes_credential() -> None:
    # The newest statement makes the predicate false; the month is answered from it, so
    # the predicate must not quietly come from an older statement that makes it true.
    store = [cred("high", "202610", income=200000), cred("low", "202609")]
    plan, _ = run(PlanFacts(request(), today=TODAY), {"month": store, "income": store},
                  revoked=set())
    assert not plan.ready
    assert plan.choices[0].credential.id == "high"
    assert "cannot be proven" in plan.choices[1].problem


@pytest.mark.parametrize("counted", [True, False])
def test_nothing_matching_is_a_missing_credential(counted: bool) -> None:
    plan, _ = run(PlanFacts(request(), today=TODAY), {"month": [], "income": []},
                  revoked=set(), counted=counted)
    assert not plan.ready and all(c.candidates == 0 and not c.skipped for c in plan.choices)


def test_use_must_name_a_credential_that_matches() -> None:
    facts = PlanFacts(request(attrs=False), today=TODAY, use={"income": "other"},
                      chosen={"income": cred("other", "202610", cred_def=OTHER_DEF)})
    with pytest.raises(UsageError, match="cannot answer"):
        run(facts, {"income": []}, revoked=set())


def test_restrictions_are_alternatives_in_the_query_and_in_hand() -> None:
    restrictions = (Restriction({"cred_def_id": OTHER_DEF}),
                    Restriction({"schema_name": "IncomeStatement", "attr::month::value": "202610"}))
    assert item_query(("net income",), restrictions) == {"$and": [
        {"$exist": ["attr::netincome::value"]},
        {"$or": [{"$and": [{"cred_def_id": OTHER_DEF}]},
                 {"$and": [{"attr::month::value": "202610"},
                           {"schema_name": "IncomeStatement"}]}]}]}
    assert satisfies(cred("a", "202610"), ("month",), restrictions)
    assert not satisfies(cred("b", "202609"), ("month",), restrictions)
    assert satisfies(cred("c", "202609", cred_def=OTHER_DEF), ("month",), restrictions)
    assert not satisfies(cred("d", "202610"), ("employer_name",), ())
