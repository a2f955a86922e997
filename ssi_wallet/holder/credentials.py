"""Credentials in the wallet: list, show, delete, and whether each is still valid."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ssi_wallet.encoding import int_to_date
from ssi_wallet.errors import InvalidInputError, NotFoundError
from ssi_wallet.holder.models import Credential

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

PAGE = 1000


def received_times(client: AdminClient, ids: list[str] | None = None) -> dict[str, str]:
    """credential id -> when it was stored (of `ids`, or all), from the preserved
    exchange records: read raw by the wallet's agent plugin, else (an agent without the
    plugin) through ACA-Py's exchange listing, which grows costly with the wallet."""
    try:
        body = {"credential_ids": list(ids)} if ids is not None else {}
        found = client.post("/ssi-wallet/received-times", json=body)
        return dict(found.get("results") or {})
    except NotFoundError:
        pass
    records = client.get("/issue-credential-2.0/records",
                         params={"role": "holder", "state": "done"}).get("results", [])
    times: dict[str, str] = {}
    for record in records:
        cred_id = (record.get("indy") or {}).get("cred_id_stored")
        if cred_id:
            times[cred_id] = (record.get("cred_ex_record") or {}).get("updated_at", "")
    return times


def credentials_page(client: AdminClient, *, start: int = 0, count: int = 50,
                     with_times: bool = True) -> tuple[list[Credential], int]:
    """One page of the wallet's credentials, newest first (by when they were stored),
    and how many it holds: read by the wallet's agent plugin straight from the wallet,
    so showing the newest does not load every credential of a large wallet."""
    try:
        found = client.get("/ssi-wallet/credentials", params={
            "start": start, "count": count, "times": 1 if with_times else 0})
    except NotFoundError:  # an agent without the plugin: ACA-Py's listing, sorted here
        creds = _all_through_acapy(client, with_times)
        return creds[start:start + count], len(creds)
    creds = [Credential.from_record(r, r.get("received_at")) for r in found.get("results", [])]
    return creds, int(found.get("total") or 0)


def list_credentials(client: AdminClient, *, with_times: bool = True,
                     limit: int | None = None) -> list[Credential]:
    """The newest `limit` credentials (default: every one), newest first."""
    creds: list[Credential] = []
    while limit is None or len(creds) < limit:
        want = PAGE if limit is None else min(PAGE, limit - len(creds))
        batch, total = credentials_page(client, start=len(creds), count=want,
                                        with_times=with_times)
        creds.extend(batch)
        if not batch or len(creds) >= total:
            break
    return creds


def _all_through_acapy(client: AdminClient, with_times: bool) -> list[Credential]:
    results: list[dict[str, Any]] = []
    start = 0
    while True:
        page = client.get("/credentials", params={"start": start, "count": PAGE})
        batch = page.get("results", [])
        results.extend(batch)
        if len(batch) < PAGE:
            break
        start += PAGE
    times = received_times(client) if with_times else {}
    creds = [Credential.from_record(r, times.get(r["referent"])) for r in results]
    return sorted(creds, key=newest_first_key, reverse=True)


def newest_first_key(cred: Credential) -> tuple[str, str]:
    return (cred.received_at or "", cred.attributes.get("issue_date", ""))


def get_credential(client: AdminClient, credential_id: str) -> Credential:
    try:
        record = client.get(f"/credential/{credential_id}")
    except NotFoundError:
        raise NotFoundError(f"no credential {credential_id}") from None
    received = received_times(client, [credential_id]).get(credential_id)
    return Credential.from_record(record, received)


def delete_credential(client: AdminClient, credential_id: str) -> Credential:
    cred = get_credential(client, credential_id)
    client.delete(f"/credential/{credential_id}")
    from ssi_wallet.holder.history import record_event

    record_event(client, "credential_deleted", credential_id=credential_id,
                 cred_def_id=cred.cred_def_id, attributes=sorted(cred.attributes))
    return cred


@dataclass(frozen=True)
class CredentialStatus:
    credential: Credential
    revoked: bool | None          # None: not revocable
    expires: dt.date | None
    expired: bool

    @property
    def valid(self) -> bool:
        return not self.revoked and not self.expired

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.credential.id,
            "cred_def_id": self.credential.cred_def_id,
            "credential_type": self.credential.credential_type,
            "revocable": self.credential.revocable,
            "revoked": self.revoked,
            "valid_until": self.expires.isoformat() if self.expires else None,
            "expired": self.expired,
            "valid": self.valid,
        }


def is_revoked(client: AdminClient, credential_id: str, *, at: int | None = None) -> bool:
    """Asks the ledger (through the agent) whether the issuer has revoked it by `at`."""
    now = at or int(time.time())
    result = client.get(f"/credential/revoked/{credential_id}", params={"to": now})
    return bool(result.get("revoked"))


def expiry_of(cred: Credential) -> dt.date | None:
    raw = cred.attributes.get("valid_until")
    if not raw:
        return None
    try:
        return int_to_date(raw)
    except InvalidInputError:
        return None


def status_of(client: AdminClient, cred: Credential, *, today: dt.date | None = None
              ) -> CredentialStatus:
    expires = expiry_of(cred)
    expired = bool(expires and expires < (today or dt.date.today()))
    revoked = is_revoked(client, cred.id) if cred.revocable else None
    return CredentialStatus(cred, revoked, expires, expired)


def credential_statuses(client: AdminClient) -> list[CredentialStatus]:
    return [status_of(client, cred) for cred in list_credentials(client)]
