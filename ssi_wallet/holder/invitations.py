"""Reading invitations people paste: an out-of-band URL (`oob=`), a legacy connections
URL (`c_i=`/`d_m=`), a JSON document, a file, or stdin.

Everything is checked here, before the agent sees it, so a malformed, truncated or
expired invitation is one clear line and nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ssi_wallet.errors import InvalidInputError

MAX_INVITATION_BYTES = 64 * 1024
OOB_TYPES = ("out-of-band/1.0/invitation", "out-of-band/1.1/invitation")
LEGACY_TYPE = "connections/1.0/invitation"
_BASE64 = re.compile(r"[A-Za-z0-9_\-+/]*={0,2}")


@dataclass(frozen=True)
class Invitation:
    """A checked invitation, ready for the agent's receive-invitation route."""

    kind: Literal["oob", "legacy"]
    message: dict[str, Any]

    @property
    def label(self) -> str:
        return str(self.message.get("label") or "")

    @property
    def id(self) -> str:
        return str(self.message.get("@id") or "")


def read_invitation(source: str, *, stdin_text: str | None = None) -> Invitation:
    """Parse `source`: a URL, `-` for stdin, a path to a JSON file, or JSON text."""
    text = source.strip()
    if text == "-":
        text = (stdin_text if stdin_text is not None else sys.stdin.read()).strip()
    elif not text.startswith(("{", "[", "http://", "https://", "didcomm://")) and _is_file(text):
        path = Path(text)
        if path.stat().st_size > MAX_INVITATION_BYTES:
            raise InvalidInputError(f"{path}: too large for an invitation")
        text = path.read_text(errors="replace").strip()
    if not text:
        raise InvalidInputError("empty invitation")
    if len(text.encode()) > MAX_INVITATION_BYTES:
        raise InvalidInputError(f"invitation too large (over {MAX_INVITATION_BYTES // 1024} KiB)")
    message = _decode_json(text) if text.startswith(("{", "[")) else _decode_url(text)
    return check_invitation(message)


def check_invitation(message: Any, *, now: dt.datetime | None = None) -> Invitation:
    """Validate an invitation message's shape; says what is wrong in one line."""
    if not isinstance(message, dict):
        raise InvalidInputError("invitation is not a JSON object")
    msg_type = message.get("@type")
    if not isinstance(msg_type, str):
        raise InvalidInputError("invitation has no @type")
    if msg_type.endswith(OOB_TYPES):
        kind: Literal["oob", "legacy"] = "oob"
        _check_oob(message)
    elif msg_type.endswith(LEGACY_TYPE):
        kind = "legacy"
        _check_legacy(message)
    else:
        raise InvalidInputError(f"not an invitation: @type is {msg_type[:80]!r}")
    _check_not_expired(message, now or dt.datetime.now(dt.UTC))
    label = message.get("label")
    if label is not None and not isinstance(label, str):
        raise InvalidInputError("invitation label is not text")
    return Invitation(kind, message)


def _check_oob(message: dict[str, Any]) -> None:
    services = message.get("services")
    if not isinstance(services, list) or not services:
        raise InvalidInputError("invitation has no services: there is nowhere to connect to")
    for service in services:
        if isinstance(service, str):
            if not service.startswith("did:"):
                raise InvalidInputError(f"invitation service {service[:60]!r} is not a DID")
            continue
        if not isinstance(service, dict):
            raise InvalidInputError("invitation service is neither a DID nor an object")
        _check_endpoint(service.get("serviceEndpoint"))
        keys = service.get("recipientKeys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise InvalidInputError("invitation service has no recipient keys")
    protocols = message.get("handshake_protocols", [])
    attachments = message.get("requests~attach", [])
    if not isinstance(protocols, list) or not isinstance(attachments, list):
        raise InvalidInputError("invitation handshake_protocols/requests~attach must be lists")
    if not protocols and not attachments:
        raise InvalidInputError("invitation offers neither a handshake nor an attached request")


def _check_legacy(message: dict[str, Any]) -> None:
    if "did" in message:
        if not isinstance(message["did"], str):
            raise InvalidInputError("invitation did is not text")
        return
    _check_endpoint(message.get("serviceEndpoint"))
    keys = message.get("recipientKeys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise InvalidInputError("invitation has no recipient keys")


def _check_endpoint(endpoint: Any) -> None:
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidInputError("invitation service has no endpoint")
    parsed = urllib.parse.urlparse(endpoint)
    if parsed.scheme not in ("http", "https", "ws", "wss", "didcomm") or not (
        parsed.netloc or parsed.scheme == "didcomm"
    ):
        raise InvalidInputError(f"invitation endpoint {endpoint[:80]!r} is not a URL")


def _check_not_expired(message: dict[str, Any], now: dt.datetime) -> None:
    timing = message.get("~timing")
    expires = timing.get("expires_time") if isinstance(timing, dict) else None
    if expires is None:
        return
    try:
        when = dt.datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidInputError(f"invitation expiry {expires!r} is not a time") from error
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when <= now:
        raise InvalidInputError(f"invitation expired on {when:%Y-%m-%d %H:%M} UTC")


def _decode_url(text: str) -> Any:
    parsed = urllib.parse.urlparse(text)
    if parsed.scheme not in ("http", "https", "didcomm"):
        raise InvalidInputError("not an invitation: expected a URL, a JSON file, or '-'")
    query = urllib.parse.parse_qs(parsed.query)
    for param in ("oob", "c_i", "d_m"):
        if param in query:
            return _decode_json(_b64decode(query[param][0], param))
    raise InvalidInputError("invitation URL has no oob= or c_i= parameter")


def _b64decode(value: str, param: str) -> str:
    cleaned = value.strip().replace(" ", "+")  # an unescaped + in a query reads as a space
    if not _BASE64.fullmatch(cleaned) or not cleaned.rstrip("="):
        raise InvalidInputError(f"invitation {param}= is not valid base64 (truncated?)")
    cleaned = cleaned.rstrip("=")
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"invitation {param}= is not valid base64 (truncated?)") from error


def _decode_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"invitation is not valid JSON (truncated?): {error.msg}"
        ) from error
    except RecursionError:
        raise InvalidInputError("invitation is not valid: JSON nested too deeply") from None


def _is_file(text: str) -> bool:
    try:
        return len(text) < 4096 and Path(text).is_file()
    except OSError:
        return False
