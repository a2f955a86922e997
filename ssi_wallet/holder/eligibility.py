"""Proactive eligibility: which schemes the citizen's credentials qualify for, worked out
inside the wallet. Nothing leaves it; the agency learns of it only if he applies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ssi_wallet.catalogue import Scheme, condition_holds
from ssi_wallet.holder import app_records
from ssi_wallet.holder.credentials import expiry_of, list_credentials
from ssi_wallet.holder.models import Credential
from ssi_wallet.holder.schemes import list_schemes

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

Status = Literal["eligible", "possibly_eligible", "not_eligible"]
NOTICE = "notice"


@dataclass(frozen=True)
class Verdict:
    scheme: Scheme
    status: Status
    reason: str
    credential_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"scheme": self.scheme.id, "agency": self.scheme.agency_name,
                "description": self.scheme.description, "status": self.status,
                "reason": self.reason, "credential_id": self.credential_id}


def matches(scheme: Scheme, cred: Credential) -> bool:
    """Whether `cred` is the kind of credential the scheme needs, from an issuer it takes."""
    if scheme.cred_def_id and cred.cred_def_id != scheme.cred_def_id:
        return False
    if scheme.schema_name and cred.credential_type != scheme.schema_name:
        return False
    return not scheme.issuer_dids or cred.issuer_did in scheme.issuer_dids


def evaluate(scheme: Scheme, credentials: list[Credential], today: dt.date) -> Verdict:
    """The verdict for one scheme, with the reason in plain words."""
    wanted = scheme.schema_name or scheme.cred_def_id
    if not scheme.valid_on(today):
        return Verdict(scheme, "not_eligible", f"the scheme is not open on {today.isoformat()}")
    candidates = [c for c in credentials if matches(scheme, c)]
    if not candidates:
        source = f" from {', '.join(scheme.issuer_dids)}" if scheme.issuer_dids else ""
        return Verdict(scheme, "possibly_eligible",
                       f"you may qualify, but the wallet holds no {wanted} credential{source}")
    failures: list[str] = []
    for cred in candidates:
        expires = expiry_of(cred)
        if expires and expires < today:
            failures.append(f"your {wanted} credential expired on {expires.isoformat()}")
            continue
        failing = [c for c in scheme.conditions
                   if condition_holds(c, cred.attributes, today) is not True]
        if not failing:
            return Verdict(scheme, "eligible",
                           f"your {wanted} credential meets every condition", cred.id)
        failures.append("not met: " + "; ".join(c.describe() for c in failing))
    return Verdict(scheme, "not_eligible", failures[0])


def evaluate_all(client: AdminClient, *, today: dt.date | None = None) -> list[Verdict]:
    today = today or dt.date.today()
    credentials = list_credentials(client)
    order = {"eligible": 0, "possibly_eligible": 1, "not_eligible": 2}
    verdicts = [evaluate(s, credentials, today) for s in list_schemes(client)]
    return sorted(verdicts, key=lambda v: (order[v.status], v.scheme.id))


def notice_new_credential(client: AdminClient, cred_ex_id: str, *,
                          notify: Callable[[int], None] | None = None,
                          today: dt.date | None = None) -> list[dict[str, Any]]:
    """Evaluate the catalogue for the credential exchange `cred_ex_id` just stored; keep
    a notice for every scheme it makes the citizen eligible for (once per scheme and
    credential). With no scheme in the catalogue this is one read: it runs for every
    credential that arrives, on the agent that is receiving it."""
    from ssi_wallet.errors import NotFoundError

    schemes = list_schemes(client)
    if not schemes:
        return []
    today = today or dt.date.today()
    record = client.get(f"/issue-credential-2.0/records/{cred_ex_id}")
    credential_id = (record.get("indy") or {}).get("cred_id_stored")
    if not credential_id:
        return []
    # The one credential, not the whole wallet: listing every credential (each loaded
    # through the agent's AnonCreds library) made each arrival cost grow with the wallet.
    try:
        credentials = [Credential.from_record(client.get(f"/credential/{credential_id}"))]
    except NotFoundError:
        return []
    known = {(n.get("scheme_id"), n.get("credential_id"))
             for n in app_records.find(client, NOTICE)}
    added = []
    for scheme in schemes:
        verdict = evaluate(scheme, credentials, today)
        if verdict.status != "eligible" or (scheme.id, credential_id) in known:
            continue
        added.append(app_records.add(client, NOTICE, {
            "kind": "eligible", "scheme_id": scheme.id, "credential_id": credential_id,
            "agency": scheme.agency_name, "text": scheme.description,
            "reason": verdict.reason, "seen": "no",
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }))
    if notify is not None:
        notify(len(unseen_notices(client)))
    return added


def list_notices(client: AdminClient) -> list[dict[str, Any]]:
    return sorted(app_records.find(client, NOTICE), key=lambda n: n.get("at", ""))


def unseen_notices(client: AdminClient) -> list[dict[str, Any]]:
    return [n for n in list_notices(client) if n.get("seen") != "yes"]


def mark_seen(client: AdminClient, notices: list[dict[str, Any]]) -> None:
    for notice in notices:
        if notice.get("seen") != "yes":
            app_records.put(client, NOTICE, notice["id"], {**notice, "seen": "yes"})
