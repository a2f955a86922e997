"""ACA-Py's stored exchange records, read as the JSON they are kept as.

Loading a record through ACA-Py's models rebuilds every DIDComm message of the exchange
(the request, the presentation, the credential) through marshmallow: several ms each
time, on the event loop that is busy with the exchange itself. Where the plugin needs a
few fields, it reads them raw.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aries_cloudagent.core.profile import ProfileSession

_URLSAFE = str.maketrans("+/", "-_")


async def raw(session: ProfileSession, record_type: str, record_id: str,
              id_field: str) -> dict[str, Any] | None:
    """The stored record with its id added as `id_field` (as ACA-Py's models show it);
    None if there is none."""
    entry = await session.handle.fetch(record_type, record_id)
    if entry is None:
        return None
    return {**json.loads(entry.value), id_field: record_id}


def indy_attachment(message: dict[str, Any] | None, attachments: str) -> dict[str, Any]:
    """The indy (`hlindy/...`) attachment of a stored DIDComm v2.0 exchange message,
    decoded (what ACA-Py's `message.attachment(Format.INDY)` gives); {} if none."""
    if not message:
        return {}
    ids = {f.get("attach_id") for f in message.get("formats") or []
           if str(f.get("format", "")).startswith("hlindy/")}
    for attached in message.get(attachments) or []:
        if attached.get("@id") not in ids:
            continue
        data = attached.get("data") or {}
        if isinstance(data.get("json"), dict):
            return data["json"]
        if isinstance(data.get("base64"), str):
            text = data["base64"].translate(_URLSAFE)
            return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return {}
