"""The wallet's scheme catalogue: documents agencies published, checked against the
agency DID's verkey on the ledger before they are trusted, kept in the wallet."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssi_wallet.catalogue import (
    Scheme,
    load_document,
    parse_document_text,
    parse_scheme,
    verify_signature,
)
from ssi_wallet.errors import InvalidInputError, NotFoundError, ServiceError
from ssi_wallet.holder import app_records

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

CATEGORY = "scheme"


def fetch_document(source: str) -> dict[str, Any]:
    """A scheme document from a file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(source, timeout=15, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise ServiceError(f"could not fetch {source}: {error}") from error
        return parse_document_text(response.content, source)
    return load_document(Path(source))


def ledger_verkey(client: AdminClient, did: str) -> str:
    """The DID's current verkey, read from the ledger through the wallet's agent."""
    try:
        result = client.get("/ledger/did-verkey", params={"did": did})
    except (NotFoundError, ServiceError) as error:
        raise InvalidInputError(f"the agency DID {did} is not on the ledger ({error})") from None
    verkey = result.get("verkey")
    if not verkey:
        raise InvalidInputError(f"the agency DID {did} has no verkey on the ledger")
    return verkey


def read_scheme(source: str) -> tuple[dict[str, Any], Scheme]:
    """Fetch and check a scheme document's shape (no agent, no ledger yet)."""
    doc = fetch_document(source)
    return doc, parse_scheme(doc, source)


def add_scheme(client: AdminClient, source: str,
               read: tuple[dict[str, Any], Scheme] | None = None) -> Scheme:
    """Fetch, check the signature against the ledger, and keep the scheme."""
    doc, scheme = read or read_scheme(source)
    if not verify_signature(doc, ledger_verkey(client, scheme.agency_did)):
        raise InvalidInputError(
            f"{source}: the signature does not match {scheme.agency_did}'s key on the "
            "ledger: the document was changed or not signed by that agency")
    existing = [r for r in app_records.find(client, CATEGORY, scheme_id=scheme.id)]
    record = {"scheme_id": scheme.id, "document": doc, "source": source,
              "added_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    if existing:
        app_records.put(client, CATEGORY, existing[0]["id"], record)
    else:
        app_records.add(client, CATEGORY, record)
    return scheme


def list_schemes(client: AdminClient) -> list[Scheme]:
    schemes = []
    for record in app_records.find(client, CATEGORY):
        schemes.append(parse_scheme(record["document"], f"scheme {record.get('scheme_id')}"))
    return sorted(schemes, key=lambda s: s.id)


def get_scheme(client: AdminClient, scheme_id: str) -> Scheme:
    for scheme in list_schemes(client):
        if scheme.id == scheme_id:
            return scheme
    raise NotFoundError(f"no scheme {scheme_id!r}", hint="see: ssi-wallet schemes list")


def remove_scheme(client: AdminClient, scheme_id: str) -> None:
    records = app_records.find(client, CATEGORY, scheme_id=scheme_id)
    if not records:
        raise NotFoundError(f"no scheme {scheme_id!r}")
    for record in records:
        app_records.delete(client, CATEGORY, record["id"])


def invitation_id(scheme: Scheme) -> str | None:
    """The @id of the scheme's invitation: connections made from it belong to it."""
    if not scheme.invitation_url:
        return None
    from ssi_wallet.holder.invitations import read_invitation

    try:
        return read_invitation(scheme.invitation_url).id
    except InvalidInputError:
        return None


def schemes_for_connection(client: AdminClient, connection) -> list[Scheme]:
    """The schemes whose agency this connection is with (by invitation or public DID)."""
    found = []
    for scheme in list_schemes(client):
        if connection.their_public_did and connection.their_public_did == scheme.agency_did:
            found.append(scheme)
        elif connection.invitation_msg_id and connection.invitation_msg_id == \
                invitation_id(scheme):
            found.append(scheme)
    return found


def over_asking(plan_request, schemes: list[Scheme]) -> list[str]:
    """What a request asks beyond every stated purpose of the agency's schemes."""
    if not schemes:
        return []
    allowed_reveal = {name for s in schemes for name in s.asks_reveal}
    allowed_preds = {name for s in schemes for name in s.asks_predicates}
    flags = []
    for attr in plan_request.attributes:
        for name in attr.names:
            if name in allowed_reveal:
                continue
            if name in allowed_preds:
                flags.append(f"asks to reveal {name}, where its stated purpose only needs "
                             f"a proof about it (predicate)")
            else:
                flags.append(f"asks for {name}, which its stated purpose does not need")
    for pred in plan_request.predicates:
        if pred.name not in allowed_preds and pred.name not in allowed_reveal:
            flags.append(f"asks for a proof about {pred.name}, which its stated purpose "
                         "does not need")
    if flags:
        names = ", ".join(s.id for s in schemes)
        flags = [f"This request asks more than its stated purpose ({names}): {f}"
                 for f in flags]
    return flags


def scheme_summary(scheme: Scheme) -> dict[str, Any]:
    return {"id": scheme.id, "agency": scheme.agency_name, "agency_did": scheme.agency_did,
            "description": scheme.description, "credential": scheme.schema_name or
            scheme.cred_def_id, "conditions": [c.describe() for c in scheme.conditions],
            "policy": scheme.policy, "valid_from": _iso(scheme.valid_from),
            "valid_until": _iso(scheme.valid_until),
            "asks": {"reveal": list(scheme.asks_reveal),
                     "predicates": list(scheme.asks_predicates)}}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
