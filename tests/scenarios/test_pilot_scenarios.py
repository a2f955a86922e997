"""The three pilot cases, unattended through `ssi-wallet demo`, with every outcome read
from the agencies' own stores (not from printed text); and guided mode, driven through
a pseudo-terminal like a pilot staff member would."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.plugins.cli import cli_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("demo")
    report = home / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "ssi_wallet", "demo", "--home", str(home), "--json",
         "--report", str(report)],
        capture_output=True, text=True, timeout=600, env=cli_env(home / "unused"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"home": home, "doc": json.loads(proc.stdout), "report": report,
            "stderr": proc.stderr}


def _store(home: Path, agency: str):
    from ssi_wallet.agency.runtime import load_agency
    from ssi_wallet.agency.verifier import store_for

    return store_for(load_agency(agency, home))


def _case(demo: dict, scenario: str) -> dict:
    run = next(s for s in demo["doc"]["scenarios"] if s["scenario"] == scenario)
    assert run["ok"], run
    return run["result"]


def test_income_supplement_paid_in_months_below_the_minimum(demo) -> None:
    result = _case(demo, "income-supplement")
    case = _store(demo["home"], "municipality").case_summary(result["case_ref"])
    months = [m["month"] for m in result["months"]]
    paid = {int(p["month"]): int(p["amount_cents"]) for p in case["payments"]}
    assert paid == {months[0]: 150000 - 123400, months[2]: 150000 - 98000}
    outcomes = [d["outcome"] for d in case["decisions"] if d["outcome"] != "proven"]
    assert outcomes.count("not_entitled") == 1
    learned = set()
    for audit in case["audit"]:
        learned |= set(audit["learned"]["revealed"])
    assert learned <= {"month", "net_income_cents"}          # never employer, gross, ref
    # Month 2 was answered under standing consent without revealing anything.
    sept = [a for a in case["audit"] if a["outcome"] == "not_entitled"]
    assert sept and all(not a["learned"]["revealed"] for a in sept)


def test_asbestos_awarded_with_the_award_credential(demo) -> None:
    result = _case(demo, "asbestos")
    case = _store(demo["home"], "svb").case_summary(result["case_ref"])
    assert [(a["scheme"], int(a["amount_cents"])) for a in case["awards"]] == [
        ("TAS", 1000000)]
    assert result["eligibility"] == "eligible" and result["notices"] == 1
    assert result["award_credential_id"]
    # He applied through the SVB's published, multi-use scheme invitation: the
    # connection he made through it opened a case of its own.
    from ssi_wallet.holder.invitations import read_invitation

    published = json.loads((demo["home"] / "published" / "svb-tas.json").read_text())
    invitation = read_invitation(published["apply"]["invitation_url"])
    assert invitation.message.get("handshake_protocols")
    store = _store(demo["home"], "svb")
    assert store.scheme_invitation(invitation.id) is not None
    assert result["case_ref"] in [c["case_ref"] for c in store.cases_of_invitation(
        invitation.id)]
    assert case["origin"] == "scheme" and case["case_ref"] == f"TAS-{case['connection_id']}"
    assert set().union(*(set(a["learned"]["revealed"]) for a in case["audit"])) == {
        "diagnosis_code"}


def test_emergency_brake_applied_then_lifted(demo) -> None:
    result = _case(demo, "emergency-brake")
    case = _store(demo["home"], "cjib").case_summary(result["case_ref"])
    events = [b["event"] for b in case["brakes"]]
    assert events[0] == "applied" and events[-1] == "lifted"
    assert case["brake_active"] is False
    assert all(not a["learned"]["revealed"] for a in case["audit"])   # nothing revealed


def test_disclosure_matrix_and_report(demo) -> None:
    html = demo["report"].read_text()
    assert "Disclosure matrix" in html and "<table>" in html
    assert "diagnosis_code (J61)" in html
    runs = demo["doc"]["scenarios"]
    assert [r["scenario"] for r in runs] == ["income-supplement", "asbestos",
                                             "emergency-brake"]
    assert all(step["seconds"] >= 0 for r in runs for step in r["steps"])


def test_guided_mode_pauses_and_q_stops_cleanly(demo) -> None:
    """Enter continues, q stops; nothing is left running afterwards."""
    home = demo["home"]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssi_wallet", "scenario", "run", "emergency-brake",
         "--guided", "--lang", "nl", "--home", str(home)],
        stdin=follower, stdout=follower, stderr=follower, env=cli_env(home / "unused"),
        start_new_session=True)
    os.close(follower)
    screen = b""

    def read_until(marker: bytes, after: int = 0, timeout: float = 120) -> int:
        """Read until `marker` appears past offset `after`; returns where it ends."""
        nonlocal screen
        deadline = time.monotonic() + timeout
        while marker not in screen[after:]:
            assert time.monotonic() < deadline, screen.decode(errors="replace")[-2000:]
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    screen += os.read(leader, 65536)
                except OSError:
                    break
        assert marker in screen[after:], screen.decode(errors="replace")[-3000:]
        return screen.index(marker, after) + len(marker)

    try:
        seen = read_until(b"Enter: verder")           # the intro, in Dutch
        assert "Financiële Noodrem" in screen.decode(errors="replace")
        os.write(leader, b"\n")
        seen = read_until(b"Klaarzetten", seen)      # the first step's explanation
        read_until(b"Enter: verder", seen)           # ... and its pause
        os.write(leader, b"q\n")
        read_until(b"stopped by the user", seen)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert proc.returncode == 0
    from ssi_wallet.agency.runtime import agency_status

    assert agency_status("cjib", home)["running"] is False
