"""Exchanges stranded in "sent, not acknowledged", made on purpose with real agents: a
TCP gate in front of each agent's inbound port refuses delivery (as a dead agent does),
and a kill -9 of the holder agent throws away ACA-Py's in-memory outbound queue.

Checked on both sides (the stock issuer/verifier through its admin API): the wallet
lists the exchange, abandoning it (by hand, or by the agent after a restart) leaves both
records `abandoned`, a credential that arrives later is refused, and a new offer or
request then completes with exactly one credential or one verified proof.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.hardening.gate import Gate, free_port
from tests.hardening.harness import Stack, eventually

pytestmark = pytest.mark.slow
GRACE = 4  # exchanges.grace_seconds for these tests (the default is 60)


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Gate, Gate]]:
    holder_port, agency_port = free_port(), free_port()
    to_holder, to_agency = Gate(holder_port), Gate(agency_port)
    stack = Stack(
        tmp_path_factory.mktemp("stranded"),
        holder_agent={"inbound_port": holder_port, "endpoint": to_holder.url},
        agency_agent={"inbound_port": agency_port, "endpoint": to_agency.url},
    ).start()
    stack.wallet("config", "set", "exchanges.grace_seconds", str(GRACE)).check()
    try:
        yield stack, to_holder, to_agency
    finally:
        to_holder.open()
        to_agency.open()
        stack.stop()
        to_holder.close()
        to_agency.close()


def _issuer_state(stack: Stack, cred_ex_id: str) -> str:
    return stack.issuer_record(cred_ex_id)["cred_ex_record"]["state"]


def _holder_state(stack: Stack, path: str) -> str | None:
    try:
        record = stack.holder_admin("GET", path)
    except httpx.HTTPStatusError as error:
        if error.response.status_code == 404:
            return None
        raise
    return record.get("cred_ex_record", record).get("state")


def _waiting(stack: Stack, group: str, exchange_id: str) -> dict[str, Any] | None:
    found = [w for w in stack.wallet.json(group, "list", "--waiting") if w["id"] == exchange_id]
    return found[0] if found else None


def _abandoned_note(stack: Stack, exchange_id: str) -> dict[str, Any] | None:
    notes = [e for e in stack.wallet.json("history")
             if e["kind"] == "exchange_abandoned" and e.get("exchange_id") == exchange_id]
    return notes[0] if notes else None


def _new_offer(stack: Stack, ref: str) -> tuple[str, str]:
    """The agency offers; returns its cred_ex_id and the wallet's offer id."""
    known = {o["id"] for o in stack.wallet.json("offers", "list")}
    cred_ex_id = stack.offer(ref)
    offer = eventually(
        lambda: [o for o in stack.wallet.json("offers", "list") if o["id"] not in known])[0]
    return cred_ex_id, offer["id"]


def test_request_lost_in_a_crash_is_abandoned_after_restart_then_offered_again(
    gated: tuple[Stack, Gate, Gate],
) -> None:
    stack, _, to_agency = gated
    cred_ex_id, offer_id = _new_offer(stack, "lost-request")
    to_agency.close()  # the request cannot leave the holder's outbound queue...
    stack.wallet.json("offers", "accept", offer_id, "--no-wait")
    path = f"/issue-credential-2.0/records/{offer_id}"
    assert _holder_state(stack, path) == "request-sent"
    stack.kill_holder()  # ...and dies with it
    to_agency.open()
    # Room to look at it before the agent abandons it (it reads the setting at start).
    stack.wallet("config", "set", "exchanges.grace_seconds", "15").check()
    stack.wallet.json("agent", "start")
    stack.wallet("config", "set", "exchanges.grace_seconds", str(GRACE)).check()
    assert _issuer_state(stack, cred_ex_id) == "offer-sent"  # it never arrived
    shown = _waiting(stack, "offers", offer_id)
    assert shown and shown["survived_restart"] and shown["state"] == "request-sent", shown
    # The agent abandons it by itself once GRACE seconds passed after the start.
    eventually(lambda: _issuer_state(stack, cred_ex_id) == "abandoned", timeout=60)
    note = eventually(lambda: _abandoned_note(stack, offer_id), timeout=30)
    assert note["automatic"] is True and note["outcome"] == "abandoned"
    assert _holder_state(stack, path) is None  # no record left for a late credential
    assert _waiting(stack, "offers", offer_id) is None
    _, again = _new_offer(stack, "lost-request")
    stack.wallet.json("offers", "accept", again)
    assert len(stack.credentials_with("lost-request")) == 1


def test_credential_lost_on_the_way_is_abandoned_by_hand_and_a_late_copy_refused(
    gated: tuple[Stack, Gate, Gate],
) -> None:
    stack, to_holder, _ = gated
    cred_ex_id, offer_id = _new_offer(stack, "late-credential")
    to_holder.close()  # the issuer issues, but cannot deliver (ACA-Py retries 4 x 10 s)
    stack.wallet.json("offers", "accept", offer_id, "--no-wait")
    eventually(lambda: _issuer_state(stack, cred_ex_id) == "credential-issued", timeout=60)
    shown = eventually(
        lambda: (lambda w: w if w and w["stranded"] else None)(
            _waiting(stack, "offers", offer_id)), timeout=30)
    assert shown["status"] == "sent, not acknowledged" and not shown["survived_restart"]
    assert shown["attributes"]["employee_ref"] == "late-credential"
    human = stack.wallet("offers", "list").check().stdout
    assert "Accepted, waiting for the credential" in human and "abandon" in human
    before = to_holder.connections
    done = stack.wallet.json("offers", "abandon", offer_id, "--yes")
    assert done == {"id": offer_id, "kind": "credential", "outcome": "abandoned",
                    "abandoned": True, "automatic": False}
    eventually(lambda: _issuer_state(stack, cred_ex_id) == "abandoned", timeout=30)
    to_holder.open()  # the issuer's next retry now delivers the credential, too late
    eventually(lambda: to_holder.connections > before, timeout=30, interval=0.2)
    time.sleep(3)
    assert stack.credentials_with("late-credential") == []
    assert _issuer_state(stack, cred_ex_id) == "abandoned"
    _, again = _new_offer(stack, "late-credential")
    stack.wallet.json("offers", "accept", again)
    time.sleep(2)
    assert len(stack.credentials_with("late-credential")) == 1
    # An open offer is not waiting: abandon refuses it in one line (a usage error, as
    # `offers decline` of an offer that is not open).
    _, open_offer = _new_offer(stack, "still-open")
    refused = stack.wallet("offers", "abandon", open_offer, "--yes", "--json")
    message = (f"credential exchange {open_offer} is offer-received, not waiting for an "
               "answer (only request-sent can be abandoned)")
    assert refused.returncode == 2, refused
    assert refused.json()["error"] == {"code": "usage", "message": message}
    assert refused.stderr.strip().splitlines() == [f"error: {message}"], refused.stderr
    stack.wallet.json("offers", "decline", open_offer)


def test_presentation_lost_in_a_crash_is_abandoned_by_hand_and_asked_again(
    gated: tuple[Stack, Gate, Gate],
) -> None:
    stack, _, to_agency = gated
    stack.wallet("config", "set", "exchanges.abandon_after_restart", "false").check()
    if not stack.credentials_with("for-proof"):
        _, offer_id = _new_offer(stack, "for-proof")
        stack.wallet.json("offers", "accept", offer_id)
    pres_ex_id = stack.request()
    request = stack.wallet_request()
    to_agency.close()
    stack.wallet.json("requests", "present", request["id"], "--yes")
    stack.kill_holder()
    to_agency.open()
    stack.wallet.json("agent", "start")
    assert stack.verifier_record(pres_ex_id)["state"] == "request-sent"
    shown = eventually(
        lambda: (lambda w: w if w and w["stranded"] else None)(
            _waiting(stack, "requests", request["id"])), timeout=30)
    assert shown["survived_restart"] and shown["status"] == "sent, not acknowledged"
    time.sleep(GRACE + 2)  # the agent does not abandon it by itself when told not to
    assert stack.verifier_record(pres_ex_id)["state"] == "request-sent"
    done = stack.wallet.json("requests", "abandon", request["id"], "--yes")
    assert done["outcome"] == "abandoned"
    eventually(lambda: stack.verifier_record(pres_ex_id)["state"] == "abandoned", timeout=30)
    assert _holder_state(stack, f"/present-proof-2.0/records/{request['id']}") == "abandoned"
    assert _abandoned_note(stack, request["id"])["automatic"] is False
    # The verifier asks again; the answer is verified.
    again = stack.request()
    fresh = eventually(lambda: [r for r in stack.wallet.json("requests", "list")
                                if r["id"] != request["id"]])[0]
    stack.wallet.json("requests", "present", fresh["id"], "--yes")
    record = eventually(lambda: (lambda r: r if r["state"] in ("done", "abandoned") else None)(
        stack.verifier_record(again)))
    assert record["state"] == "done" and record.get("verified") == "true"
