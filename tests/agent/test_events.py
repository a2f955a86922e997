"""Two supervised agents connect out-of-band; the event stream sees both reach `active`."""

from __future__ import annotations

import time

import pytest

from ssi_wallet.agent.events import EventStream, EventTimeout
from ssi_wallet.errors import ServiceError
from tests.plugins.agents import AgentPool, SupervisedAgent

pytestmark = pytest.mark.slow

HANDSHAKES = ["https://didcomm.org/didexchange/1.0", "https://didcomm.org/connections/1.0"]


@pytest.fixture(scope="module")
def pair(supervised_agents: AgentPool) -> tuple[SupervisedAgent, SupervisedAgent]:
    inviter, invitee = supervised_agents.start_many("faber", "citizen")
    return inviter, invitee


def _connect(inviter: SupervisedAgent, invitee: SupervisedAgent) -> tuple[dict, dict, float]:
    with inviter.events() as inviter_events, invitee.events() as invitee_events:
        t0 = time.monotonic()
        created = inviter.admin.post(
            "/out-of-band/create-invitation", params={"auto_accept": True},
            json={"handshake_protocols": HANDSHAKES, "use_public_did": False,
                  "my_label": "Faber"})
        invitation = created["invitation"]
        received = invitee.admin.post("/out-of-band/receive-invitation",
                                      params={"auto_accept": True}, json=invitation)
        their_conn_id = received["connection_id"]
        theirs = invitee_events.wait(
            "connections",
            lambda p: p.get("connection_id") == their_conn_id and p.get("state") == "active",
            timeout=30)
        ours = inviter_events.wait(
            "connections",
            lambda p: p.get("invitation_msg_id") == created["invi_msg_id"]
            and p.get("state") == "active",
            timeout=30)
        return ours, theirs, time.monotonic() - t0


def test_out_of_band_connection_reaches_active_on_both_sides(pair) -> None:
    inviter, invitee = pair
    ours, theirs, seconds = _connect(inviter, invitee)
    assert ours["their_label"] == "Citizen"
    assert theirs["their_label"] == "Faber"
    # The admin API agrees with the events.
    assert inviter.admin.get(f"/connections/{ours['connection_id']}")["state"] == "active"
    assert invitee.admin.get(f"/connections/{theirs['connection_id']}")["state"] == "active"
    assert seconds < 10


def test_events_not_waited_for_are_kept_for_later_waits(pair) -> None:
    inviter, invitee = pair
    conn = inviter.admin.get("/connections", params={"state": "active"})["results"][0]

    def say(text: str) -> None:
        inviter.admin.post(f"/connections/{conn['connection_id']}/send-message",
                           json={"content": text})

    def content(text: str):
        return lambda payload: payload.get("content") == text

    with invitee.events() as events, invitee.admin.events() as witness:
        say("one")
        # A second subscriber proves "one" was delivered (ACA-Py feeds all at once) ...
        witness.wait("basicmessages", content("one"), timeout=15)
        say("two")
        # ... so waiting for "two" first must set "one" aside, not drop it.
        assert events.wait("basicmessages", content("two"), timeout=15)["content"] == "two"
        assert events.wait("basicmessages", content("one"), timeout=0.01)["content"] == "one"
        with pytest.raises(EventTimeout, match="basicmessages"):
            events.wait("basicmessages", content("never"), timeout=0.3)


def test_stream_reports_an_agent_that_goes_away(supervised_agents: AgentPool) -> None:
    from ssi_wallet.agent import process

    gone = supervised_agents.start("gone")
    with gone.events() as events:
        process.stop(gone.spec.root)
        with pytest.raises(ServiceError, match="closed its event stream|not running"):
            events.wait("connections", None, timeout=10)
    with pytest.raises(ServiceError, match="not running"):
        EventStream.from_runtime(gone.runtime, open_timeout=2).open()
