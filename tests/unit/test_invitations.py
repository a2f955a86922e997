"""Invitation parsing: every malformed input is one clear error, never a crash."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssi_wallet.errors import InvalidInputError
from ssi_wallet.holder.invitations import MAX_INVITATION_BYTES, read_invitation

OOB = {
    "@type": "https://didcomm.org/out-of-band/1.1/invitation",
    "@id": "3f2c8e0e-0000-4000-8000-000000000001",
    "label": "Municipality of Eindhoven",
    "handshake_protocols": ["https://didcomm.org/didexchange/1.0"],
    "services": [{"id": "#inline", "type": "did-communication",
                  "recipientKeys": ["did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"],
                  "serviceEndpoint": "http://127.0.0.1:8020"}],
}
LEGACY = {
    "@type": "https://didcomm.org/connections/1.0/invitation",
    "@id": "legacy-1", "label": "CJIB",
    "recipientKeys": ["8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K"],
    "serviceEndpoint": "http://127.0.0.1:8030",
}


def url(doc: dict, param: str = "oob", *, pad: bool = False) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()
    return f"http://127.0.0.1:8020?{param}={encoded if pad else encoded.rstrip('=')}"


def test_oob_url() -> None:
    invitation = read_invitation(url(OOB))
    assert invitation.kind == "oob"
    assert invitation.label == "Municipality of Eindhoven"
    assert invitation.message == OOB


def test_legacy_url_json_text_file_and_stdin(tmp_path: Path) -> None:
    assert read_invitation(url(LEGACY, "c_i", pad=True)).kind == "legacy"
    assert read_invitation(json.dumps(OOB)).kind == "oob"
    path = tmp_path / "invitation.json"
    path.write_text(json.dumps(OOB))
    assert read_invitation(str(path)).id == OOB["@id"]
    assert read_invitation("-", stdin_text=url(OOB)).label == OOB["label"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty invitation"),
        ("http://127.0.0.1:8020?oob=!!!notbase64", "not valid base64"),
        ("http://127.0.0.1:8020?x=1", "no oob= or c_i="),
        (url(OOB)[:-30], "not valid JSON"),
        ("ftp://example.org/?oob=abc", "expected a URL"),
        (json.dumps({**OOB, "@type": "https://didcomm.org/basicmessage/1.0/message"}),
         "not an invitation"),
        (json.dumps({k: v for k, v in OOB.items() if k != "services"}), "no services"),
        (json.dumps({**OOB, "services": [{"recipientKeys": ["k"]}]}), "no endpoint"),
        (json.dumps({**OOB, "services": [{"serviceEndpoint": "http://h:1",
                                          "recipientKeys": []}]}), "no recipient keys"),
        (json.dumps({**OOB, "handshake_protocols": []}), "neither a handshake"),
        (json.dumps([1, 2]), "not a JSON object"),
        (json.dumps({**OOB, "~timing": {"expires_time": "2020-01-01T00:00:00Z"}}), "expired"),
        ("{" + " " * (MAX_INVITATION_BYTES + 1) + "}", "too large"),
    ],
)
def test_bad_invitations(source: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        read_invitation(source)


def test_future_expiry_is_accepted() -> None:
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert read_invitation(json.dumps({**OOB, "~timing": {"expires_time": later}})).kind == "oob"


@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        read_invitation(text if text.strip() != "-" else "x", stdin_text="")
    except InvalidInputError:
        pass


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                          max_size=4),
                    max_leaves=12))
def test_arbitrary_json_in_an_oob_url_never_crashes(doc) -> None:
    try:
        read_invitation(url(doc) if not isinstance(doc, dict) else url({**OOB, **doc}))
    except InvalidInputError:
        pass
