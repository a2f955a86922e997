"""How the wallet judges a sent exchange with no answer (holder/stranded.py): silence is
counted only while the agent ran, and an exchange sent before the agent's start is
marked as having survived a restart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ssi_wallet.config import save_config
from ssi_wallet.errors import InvalidInputError
from ssi_wallet.holder.stranded import _waiting, grace_seconds, parse_time

START = dt.datetime(2026, 11, 21, 20, 0, 0, tzinfo=dt.UTC)


def _cred_record(updated_at: str) -> dict:
    return {"cred_ex_record": {
        "cred_ex_id": "c1", "connection_id": "k1", "state": "request-sent",
        "updated_at": updated_at,
        "cred_offer": {"credential_preview": {"attributes": [{"name": "month",
                                                               "value": "2026-10"}]}},
        "by_format": {"cred_offer": {"indy": {
            "cred_def_id": "Th7M:3:CL:12:tag", "schema_id": "Th7M:2:IncomeStatement:1.0"}}},
    }}


def test_silence_while_the_agent_was_down_does_not_count() -> None:
    sent = "2026-11-21T19:00:00.000000Z"  # an hour before the agent (re)started
    soon = _waiting("credential", _cred_record(sent), {}, 60.0, START,
                    START + dt.timedelta(seconds=30))
    assert soon.survived_restart and not soon.stranded
    assert soon.status == "waiting for the credential"
    later = _waiting("credential", _cred_record(sent), {}, 60.0, START,
                     START + dt.timedelta(seconds=61))
    assert later.stranded and later.status == "sent, not acknowledged"
    doc = later.to_json()
    assert doc["what"] == "IncomeStatement" and doc["attributes"] == {"month": "2026-10"}
    assert doc["state"] == "request-sent" and doc["idle_seconds"] == 61.0


def test_an_exchange_sent_while_the_agent_runs_counts_from_its_last_change() -> None:
    sent = "2026-11-21T20:05:00.000000Z"
    waiting = _waiting("credential", _cred_record(sent), {}, 60.0, START,
                       parse_time(sent) + dt.timedelta(seconds=10))
    assert not waiting.survived_restart and not waiting.stranded
    assert waiting.idle_seconds == pytest.approx(10.0)


def test_a_presentation_with_a_malformed_request_is_still_listed() -> None:
    record = {"pres_ex_id": "p1", "state": "presentation-sent", "connection_id": "k1",
              "updated_at": "2026-11-21T20:05:00Z", "by_format": {"pres_request": "junk"}}
    waiting = _waiting("presentation", record, {}, 5.0, START,
                       START + dt.timedelta(minutes=10))
    assert waiting.id == "p1" and waiting.what is None and waiting.stranded
    assert "attributes" not in waiting.to_json()


def test_grace_setting(tmp_path: Path) -> None:
    assert grace_seconds(tmp_path) == 60.0
    save_config({"exchanges": {"grace_seconds": 5}}, tmp_path)
    assert grace_seconds(tmp_path) == 5.0
    save_config({"exchanges": {"grace_seconds": "soon"}}, tmp_path)
    with pytest.raises(InvalidInputError):
        grace_seconds(tmp_path)
