"""`ssi-wallet verifier ...` commands that need no agent: policy validate, cases."""

from __future__ import annotations

from pathlib import Path

from tests.plugins.cli import RunCli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_validate_the_examples_against_their_agencies(run_cli: RunCli) -> None:
    for policy, agency in (("income-supplement", "municipality"),
                           ("asbestos-contribution", "svb"), ("emergency-brake", "cjib")):
        result = run_cli("verifier", "policy", "validate",
                         str(EXAMPLES / "policies" / f"{policy}.yaml"), "--agency",
                         str(EXAMPLES / "agencies" / f"{agency}.yaml"), "--json").check()
        doc = result.json()
        assert doc["ok"] is True and doc["policy"]["name"] == policy
        assert any("trusts no issuer yet" in w for w in doc["warnings"])


def test_validate_reports_one_line_with_the_yaml_line(run_cli: RunCli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntrusted_issuers: [{did: Th7MpTaRZVRYnPiabds81Y}]\n"
                   "prove:\n  - net_income == 5\n")
    result = run_cli("verifier", "policy", "validate", str(bad), "--json")
    assert result.returncode == 1
    error = result.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == (
        f"{bad}: line 4: prove[0]: unknown operator '==' in 'net_income == 5' (AnonCreds "
        "predicates are >=, >, <=, <; to require a value, reveal it)")
    human = run_cli("verifier", "policy", "validate", str(bad))
    assert human.returncode == 1 and human.stdout == ""
    assert "unknown operator" in human.stderr


def test_unknown_figure_needs_the_agency(run_cli: RunCli, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text((EXAMPLES / "policies" / "income-supplement.yaml").read_text()
                      .replace("social_minimum", "social_maximum"))
    assert run_cli("verifier", "policy", "validate", str(policy)).returncode == 0
    result = run_cli("verifier", "policy", "validate", str(policy), "--agency",
                     str(EXAMPLES / "agencies" / "municipality.yaml"), "--json")
    assert result.returncode == 1
    assert "unknown figure 'social_maximum'" in result.json()["error"]["message"]


def test_commands_need_a_verifier_agency(run_cli: RunCli) -> None:
    result = run_cli("verifier", "cases", "list", "--json")
    assert result.returncode == 2
    assert "no verifier agency" in result.json()["error"]["message"]


def test_only_validate_takes_an_agency_file(run_cli: RunCli) -> None:
    result = run_cli("verifier", "cases", "list", "--agency",
                     str(EXAMPLES / "agencies" / "municipality.yaml"), "--json")
    assert result.returncode == 2
    assert not (EXAMPLES / "agencies" / "agency.db").exists()
