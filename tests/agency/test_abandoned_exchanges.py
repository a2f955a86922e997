"""The agency side of an exchange the citizen's wallet abandoned, with real agents.

A TCP gate in front of the wallet's agent makes the issuer's credential undeliverable
(`credential-issued`, never acknowledged); the wallet abandons the exchange (`offers
abandon`, after `exchanges.grace_seconds`), which puts the issuer's record in
`abandoned`. An `issuer issue-batch` re-run must then offer that row again, once, and
the wallet must end with one copy of the credential.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hardening.gate import Gate, free_port
from tests.hardening.harness import INCOME, Stack, eventually

pytestmark = pytest.mark.slow
GRACE = 4  # exchanges.grace_seconds (the default is 60)
REF = "batch-lost"


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Gate]]:
    holder_port = free_port()
    to_holder = Gate(holder_port)
    stack = Stack(
        tmp_path_factory.mktemp("abandoned"),
        holder_agent={"inbound_port": holder_port, "endpoint": to_holder.url},
    ).start()
    stack.wallet("config", "set", "exchanges.grace_seconds", str(GRACE)).check()
    try:
        yield stack, to_holder
    finally:
        to_holder.open()
        stack.stop()
        to_holder.close()


def _batch(stack: Stack, path: Path) -> dict[str, Any]:
    return stack.agency.json(
        "issuer", "issue-batch", str(path), "--agency", "town", "--type", "IncomeStatement",
        "--no-wait", timeout=200,
    )


def _stored_row(stack: Stack) -> dict[str, Any]:
    rows = [r for r in stack.agency.json("issuer", "credentials", "list", "--agency", "town")
            if r["row_key"] and r["row_key"].endswith("id:lost-1")]
    assert len(rows) == 1, rows
    return rows[0]


def _issuer_state(stack: Stack, cred_ex_id: str) -> str:
    return stack.issuer_record(cred_ex_id)["cred_ex_record"]["state"]


def test_abandoned_batch_credential_is_offered_again_once(
    gated: tuple[Stack, Gate], tmp_path: Path
) -> None:
    stack, to_holder = gated
    path = tmp_path / "lost.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["connection_id", "row_id", *INCOME, "employee_ref"])
        writer.writerow([stack.connection, "lost-1", *INCOME.values(), REF])

    first = _batch(stack, path)
    assert first["counts"] == {"offered": 1}, first
    cred_ex_id = first["rows"][0]["cred_ex_id"]
    offer = eventually(lambda: stack.wallet.json("offers", "list"))[0]
    to_holder.close()  # the issuer issues, but cannot deliver
    stack.wallet.json("offers", "accept", offer["id"], "--no-wait")
    eventually(lambda: _issuer_state(stack, cred_ex_id) == "credential-issued", timeout=60)

    # Issued, not acknowledged, not abandoned: a re-run leaves it alone.
    second = _batch(stack, path)
    assert second["counts"] == {"skipped": 1}, second
    assert _stored_row(stack)["state"] == "credential-issued"

    eventually(
        lambda: [w for w in stack.wallet.json("offers", "list", "--waiting")
                 if w["id"] == offer["id"] and w["stranded"]], timeout=30)
    stack.wallet.json("offers", "abandon", offer["id"], "--yes")
    eventually(lambda: _issuer_state(stack, cred_ex_id) == "abandoned", timeout=30)
    to_holder.open()  # the issuer's late retry is refused by the wallet

    third = _batch(stack, path)
    assert third["counts"] == {"offered": 1}, third
    new_id = third["rows"][0]["cred_ex_id"]
    assert new_id != cred_ex_id
    row = _stored_row(stack)
    assert row["reoffers"] == 1 and row["cred_ex_id"] == new_id, row
    assert f"{cred_ex_id} abandoned -> re-offered" in row["history"], row
    again = eventually(
        lambda: [o for o in stack.wallet.json("offers", "list") if o["id"] != offer["id"]])[0]
    stack.wallet.json("offers", "accept", again["id"])
    eventually(lambda: _issuer_state(stack, new_id) in ("done", "credential-acked"), timeout=60)

    fourth = _batch(stack, path)  # acknowledged: never offered again
    assert fourth["counts"] == {"skipped": 1}, fourth
    time.sleep(2)
    assert len(stack.credentials_with(REF)) == 1
    assert _stored_row(stack)["reoffers"] == 1


def _case(stack: Stack) -> dict[str, Any]:
    return stack.agency.json("verifier", "cases", "show", f"C-{stack.connection}",
                             "--agency", "town")


def test_request_lost_with_the_agency_agent_is_superseded_when_asked_again(
    gated: tuple[Stack, Gate],
) -> None:
    stack, to_holder = gated
    if not stack.credentials_with("for-proof"):
        cred_ex_id = stack.offer("for-proof")
        offer = eventually(lambda: [o for o in stack.wallet.json("offers", "list")
                                    if o["attributes"]["employee_ref"] == "for-proof"])[0]
        stack.wallet.json("offers", "accept", offer["id"])
        eventually(lambda: _issuer_state(stack, cred_ex_id) in ("done", "credential-acked"))
    to_holder.close()  # the request cannot leave the agency agent's queue...
    lost = stack.request()
    stack.kill_agency()  # ...and dies with it
    to_holder.open()
    stack.agency.json("agency", "start", "town", timeout=240)
    assert stack.verifier_record(lost)["state"] == "request-sent"
    # `agency start` runs `verifier serve` too: it decides what ends.
    again = stack.agency.json("verifier", "recheck", "--case", f"C-{stack.connection}",
                              "--agency", "town")
    assert again["superseded"] == [lost], again
    eventually(lambda: stack.verifier_record(lost)["state"] == "abandoned", timeout=30)
    request = eventually(lambda: [r for r in stack.wallet.json("requests", "list")
                                  if r["id"] != lost])[0]
    stack.wallet.json("requests", "present", request["id"], "--yes")
    eventually(lambda: _case(stack)["decisions"], timeout=90)
    time.sleep(3)  # room for a second (wrong) decision to appear
    case = _case(stack)
    status = {e["pres_ex_id"]: e["status"] for e in case["exchanges"]}
    assert status == {lost: "superseded", again["pres_ex_id"]: "processed"}, status
    assert [d["pres_ex_id"] for d in case["decisions"]] == [again["pres_ex_id"]], case
    assert case["decisions"][0]["proof_outcome"] == "verified", case["decisions"]
    # Asking again while nothing is unanswered closes nothing.
    third = stack.agency.json("verifier", "recheck", "--case", f"C-{stack.connection}",
                              "--agency", "town")
    assert third["superseded"] == [], third
