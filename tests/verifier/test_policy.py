"""Policy parsing, validation and proof-request building (no agents)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssi_wallet.agency.config import parse_agency_config
from ssi_wallet.agency.policy import (
    PolicyError,
    build_request,
    check_against_agency,
    check_presentation,
    load_policy,
    parse_policy_text,
    render_template,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EMPLOYER = "Th7MpTaRZVRYnPiabds81Y"
OTHER = "7Tqg6BwSSWapxgUDm9KKgg"

BASE = """\
name: income-supplement
credential: IncomeStatement
reveal: [month]
then_reveal: [net_income]
prove:
  - net_income < social_minimum
  - valid_until >= today
issued_within: 45 days
trusted_issuers:
  - from_setting: trusted_employers
workflow: income_supplement
"""


def agency(**settings):
    doc = {"name": "municipality", "roles": ["verifier"],
           "figures": {"social_minimum": [{"from": "2026-01-01", "value": "1500.00 EUR"},
                                          {"from": "2026-07-01", "value": "1550.00 EUR"}]},
           "settings": {"trusted_employers": [EMPLOYER], **settings}}
    return parse_agency_config(doc, Path("/tmp/agencies/municipality/agency.yaml"))


def test_examples_parse_and_check() -> None:
    for name, figures in (("income-supplement", {"social_minimum"}),
                          ("asbestos-contribution", {"tas_contribution"}),
                          ("emergency-brake", set())):
        policy = load_policy(EXAMPLES / "policies" / f"{name}.yaml")
        assert policy.name == name
        assert set(policy.figures) <= figures
        assert policy.description["en"] and policy.description["nl"]


def test_request_uses_the_figure_of_the_month_and_freshness_from_today() -> None:
    policy = parse_policy_text(BASE)
    built = build_request(policy, agency(), as_of=dt.date(2026, 10, 1),
                          today=dt.date(2026, 11, 15), now=1_800_000_000, month=202610)
    req = built.request
    assert built.reveal == ("month",)
    attrs = req["requested_attributes"]["reveal"]
    assert attrs["names"] == ["month"]
    assert attrs["restrictions"] == [{"schema_name": "IncomeStatement", "issuer_did": EMPLOYER,
                                      "attr::month::value": "202610"}]
    preds = {p["name"]: (p["p_type"], p["p_value"]) for p in req["requested_predicates"].values()}
    assert preds == {"net_income_cents": ("<", 155000), "valid_until": (">=", 20261115),
                     "issue_date": (">=", 20261001)}
    assert req["non_revoked"] == {"from": 1_800_000_000, "to": 1_800_000_000}
    assert req["nonce"].isdigit()
    # an earlier month takes the figure valid then
    early = build_request(policy, agency(), as_of=dt.date(2026, 3, 1), today=dt.date(2026, 4, 1))
    values = [p["p_value"] for p in early.request["requested_predicates"].values()]
    assert 150000 in values


def test_literal_money_maps_to_cents() -> None:
    policy = parse_policy_text(BASE.replace("social_minimum", "1,500.00 EUR"))
    built = build_request(policy, None if False else agency(), today=dt.date(2026, 1, 2))
    pred = next(iter(built.request["requested_predicates"].values()))
    assert (pred["name"], pred["p_value"]) == ("net_income_cents", 150000)
    assert "below EUR 1,500.00" in built.predicates[0].words()


@pytest.mark.parametrize(("change", "message"), [
    (("- net_income < social_minimum", "- net_income == 5"), "unknown operator '=='"),
    (("- net_income < social_minimum", "- net_income != 5"), "unknown operator '!='"),
    (("- net_income < social_minimum", "- net_income < 15.001 EUR"), "fractions of a cent"),
    (("- net_income < social_minimum", "- net_income <"), "cannot read"),
    (("workflow: income_supplement", "workflow: lottery"), "unknown workflow 'lottery'"),
    (("issued_within: 45 days", "issued_within: a while"), "write e.g. '45 days'"),
    (("name: income-supplement", "name: Income Supplement"), "name must be"),
    (("trusted_issuers:\n  - from_setting: trusted_employers\n", "trusted_issuers: []\n"),
     "trusted_issuers is required"),
    (("  - from_setting: trusted_employers", "  - schema_name: IncomeStatement"),
     "a schema name alone"),
    (("  - from_setting: trusted_employers", "  - did: X\n    colour: red"),
     "unknown key(s): colour"),
])
def test_one_line_errors_with_line_numbers(change, message) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy_text(BASE.replace(*change), Path("p.yaml"))
    text = str(caught.value)
    assert message in text
    assert "\n" not in text
    assert text.startswith("p.yaml: ")


def test_unknown_key_and_yaml_error_name_the_line() -> None:
    with pytest.raises(PolicyError, match=r"line 12: colour: unknown key\(s\): colour"):
        parse_policy_text(BASE + "colour: red\n", Path("p.yaml"))
    with pytest.raises(PolicyError, match=r"not valid YAML .* line 3"):
        parse_policy_text("name: x\nreveal: [a\nprove: {\n", Path("p.yaml"))
    with pytest.raises(PolicyError, match=r"line 6: prove\[0\]: unknown operator"):
        parse_policy_text(BASE.replace("net_income < social_minimum", "net_income = 1"),
                          Path("p.yaml"))


def test_reveal_and_predicate_on_one_attribute_is_refused() -> None:
    text = BASE.replace("reveal: [month]\nthen_reveal: [net_income]", "reveal: [month, net_income]")
    with pytest.raises(PolicyError, match="both revealed and in a predicate.*then_reveal"):
        parse_policy_text(text)


def test_second_step_asks_the_same_credential_and_month() -> None:
    from ssi_wallet.agency.policy import build_followup

    policy = parse_policy_text(BASE)
    built = build_followup(policy, agency(), first_revealed={"month": "202610"},
                           cred_def_id=f"{EMPLOYER}:3:CL:12:default", now=5)
    assert built.request["requested_attributes"]["reveal"] == {
        "names": ["month", "net_income_cents"],
        "restrictions": [{"cred_def_id": f"{EMPLOYER}:3:CL:12:default",
                          "attr::month::value": "202610"}]}
    assert built.request["requested_predicates"] == {}
    assert built.request["non_revoked"] == {"from": 5, "to": 5}


def test_actions_are_checked() -> None:
    bad = BASE + "actions:\n  verified:\n    - email: a@b\n"
    with pytest.raises(PolicyError, match="unknown action key"):
        parse_policy_text(bad)
    bad = BASE + "actions:\n  paid:\n    - message: hi\n"
    with pytest.raises(PolicyError, match="unknown outcome 'paid'"):
        parse_policy_text(bad)
    bad = BASE + "actions:\n  verified:\n    - message: 'pay {amount'\n"
    with pytest.raises(PolicyError, match="unbalanced"):
        parse_policy_text(bad)
    ok = parse_policy_text(BASE + "actions:\n  verified:\n    - when: entitled\n"
                                  "      message: 'pay {amount} for {month_text}'\n")
    action = ok.actions["verified"][0]
    assert action.applies("entitled") and not action.applies("already_paid")
    assert render_template(action.spec["text"], {"amount": "EUR 1.00", "month_text": "May"}) \
        == "pay EUR 1.00 for May"


def test_unknown_figure_is_reported_with_the_agency() -> None:
    policy = parse_policy_text(BASE.replace("social_minimum", "social_maximum"))
    problems = check_against_agency(policy, agency())
    assert any("unknown figure 'social_maximum'" in p for p in problems)
    assert check_against_agency(parse_policy_text(BASE), agency()) == []


def _record(sent, *, issuer=EMPLOYER, month="202610", net="123400", verified="true",
            nonce=None, indexes=(0, 0, 0, 0)):
    request = dict(sent, nonce=nonce or sent["nonce"])
    preds = {ref: {"sub_proof_index": indexes[i + 1]}
             for i, ref in enumerate(sent["requested_predicates"])}
    return {
        "state": "done", "verified": verified, "connection_id": "conn-1",
        "by_format": {"pres_request": {"indy": request}, "pres": {"indy": {
            "requested_proof": {
                "revealed_attr_groups": {"reveal": {"sub_proof_index": indexes[0], "values": {
                    "month": {"raw": month, "encoded": "1"},
                    "net_income_cents": {"raw": net, "encoded": "2"}}}},
                "revealed_attrs": {}, "self_attested_attrs": {}, "unrevealed_attrs": {},
                "predicates": preds},
            "identifiers": [
                {"schema_id": f"{issuer}:2:IncomeStatement:1.0",
                 "cred_def_id": f"{issuer}:3:CL:12:default",
                 "rev_reg_id": None, "timestamp": None},
                {"schema_id": f"{OTHER}:2:IncomeStatement:1.0",
                 "cred_def_id": f"{OTHER}:3:CL:13:default",
                 "rev_reg_id": None, "timestamp": None}]}}},
    }


def test_presentation_checks() -> None:
    policy = parse_policy_text(BASE)
    sent = build_request(policy, agency(), month=202610).request
    good = check_presentation(policy, agency(), sent=sent, record=_record(sent),
                              connection_id="conn-1")
    assert good.accepted and good.outcome == "verified", good.problems
    assert good.revealed == {"month": "202610"}
    assert {p["attribute"] for p in good.predicates} == {"net_income_cents", "valid_until",
                                                         "issue_date"}
    assert good.issuers == [EMPLOYER]

    untrusted = check_presentation(policy, agency(trusted_employers=[OTHER]), sent=sent,
                                   record=_record(sent), connection_id="conn-1")
    assert untrusted.outcome == "not_verified"
    assert any("not trusted" in p for p in untrusted.problems)

    replayed = check_presentation(policy, agency(), sent=sent,
                                  record=_record(sent, nonce="42"), connection_id="conn-1")
    assert any("did not send" in p for p in replayed.problems)
    other_conn = check_presentation(policy, agency(), sent=sent, record=_record(sent),
                                    connection_id="conn-2")
    assert any("another connection" in p for p in other_conn.problems)
    false = check_presentation(policy, agency(), sent=sent,
                               record=_record(sent, verified="false"), connection_id="conn-1")
    assert false.outcome == "not_verified"
    mixed = check_presentation(policy, agency(trusted_employers=[EMPLOYER, OTHER]), sent=sent,
                               record=_record(sent, indexes=(0, 1, 0, 0)),
                               connection_id="conn-1")
    assert any("different credentials" in p for p in mixed.problems)
    declined = check_presentation(policy, agency(), sent=sent,
                                  record={"state": "abandoned"}, connection_id="conn-1")
    assert declined.outcome == "declined" and declined.learned()["revealed"] == {}


yamlish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["name", "reveal", "prove", "trusted_issuers",
                                       "workflow", "actions", "issued_within", "verified",
                                       "when", "message", "issue", "webhook", "did", "x"])
                      | st.text(max_size=8), children, max_size=5),
    max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_parser_never_crashes_on_text(text: str) -> None:
    try:
        parse_policy_text(text)
    except PolicyError as error:
        assert "\n" not in str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yamlish)
def test_parser_never_crashes_on_yaml_documents(doc) -> None:
    import yaml

    text = yaml.safe_dump(doc)
    try:
        parse_policy_text(text)
    except PolicyError as error:
        assert "\n" not in str(error)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["name: x", "prove:", "  - ", "a < b", "reveal: [", "]",
                                 "&a", "*a", "{", "}", ":", "- today-3d", "!!python/object",
                                 "trusted_issuers:", "  - did: z", "workflow: none", "\t",
                                 "'", '"', "\n", "actions: {verified: [{message: '{'}]}",
                                 "issued_within: 99999999999", "  - x >= 2026-13-45"]),
                max_size=12))
def test_parser_never_crashes_on_policy_fragments(parts) -> None:
    try:
        parse_policy_text("\n".join(parts))
    except PolicyError as error:
        assert "\n" not in str(error)


def test_several_trusted_issuers_share_one_restriction() -> None:
    """ACA-Py 0.12.8's holder ANDs restriction lists: the request carries what the trusted
    issuers share; the list itself is enforced when the proof is decided."""
    policy = parse_policy_text(BASE)
    built = build_request(policy, agency(trusted_employers=[EMPLOYER, OTHER]), month=202610)
    assert built.request["requested_attributes"]["reveal"]["restrictions"] == [
        {"schema_name": "IncomeStatement", "attr::month::value": "202610"}]
    for pred in built.request["requested_predicates"].values():
        assert pred["restrictions"] == [{"schema_name": "IncomeStatement",
                                         "attr::month::value": "202610"}]
