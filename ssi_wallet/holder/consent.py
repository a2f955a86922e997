"""Standing consent: the citizen lets one connection's recurring proof request (one
policy, e.g. the municipality's monthly income check) be answered without him, within
the scope he saw, until a date, at most N times a month. Revoking stops it at once.

The scope is what he already answered for that policy on that connection (all its
steps, when a policy asks in two): a later request is inside the scope when it asks
for the same or fewer attributes (same restrictions) and the same predicates (same
operator, bound and restrictions; a date bound may move, since "issued within 45 days"
moves with the calendar). Anything more waits for the citizen, as without consent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ssi_wallet.encoding import Kind, display, kind_of, label_of
from ssi_wallet.errors import NotFoundError, UsageError
from ssi_wallet.holder import app_records
from ssi_wallet.holder.models import ProofRequest

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

CATEGORY = "consent"
ANSWERED = ("presentation-sent", "done")


def _canon(restrictions) -> str:
    """Restrictions in a comparable form. A value restriction on a date or month
    attribute (`attr::month::value`: "the statement for October") moves with the
    calendar, like a date bound, so its value is not part of the scope."""
    def moving(key: str) -> bool:
        parts = key.split("::")
        return len(parts) == 3 and parts[0] == "attr" and parts[2] == "value" and \
            kind_of(parts[1]) in (Kind.DATE, Kind.MONTH)

    return json.dumps(sorted(
        json.dumps({k: ("*" if moving(k) else v) for k, v in r.fields.items()},
                   sort_keys=True)
        for r in restrictions))


def policy_of(request_name: str | None) -> str:
    """A policy's later steps are named `<policy> (then)`: they belong to the policy."""
    return (request_name or "").split(" (", 1)[0]


def scope_of(request: ProofRequest) -> dict[str, Any]:
    """What a request asks, in a JSON form that compares exactly."""
    attrs = [{"names": sorted(a.names), "restrictions": _canon(a.restrictions)}
             for a in request.attributes]
    preds = [{"name": p.name, "p_type": p.p_type, "p_value": p.p_value,
              "restrictions": _canon(p.restrictions)} for p in request.predicates]
    key = lambda d: json.dumps(d, sort_keys=True)  # noqa: E731
    return {"attributes": sorted(attrs, key=key), "predicates": sorted(preds, key=key)}


def merge_scopes(scopes: list[dict[str, Any]]) -> dict[str, Any]:
    """The union of several requests' scopes (a policy may ask in more than one step)."""
    key = lambda d: json.dumps(d, sort_keys=True)  # noqa: E731
    attrs = {key(a): a for s in scopes for a in s["attributes"]}
    preds = {key(p): p for s in scopes for p in s["predicates"]}
    return {"attributes": [attrs[k] for k in sorted(attrs)],
            "predicates": [preds[k] for k in sorted(preds)]}


def outside_scope(request: ProofRequest, scope: dict[str, Any]) -> list[str]:
    """What `request` asks beyond `scope`, in words (empty: inside the scope)."""
    allowed_attrs = scope["attributes"]
    allowed_preds = scope["predicates"]
    extra: list[str] = []
    for attr in request.attributes:
        wanted = {"names": sorted(attr.names), "restrictions": _canon(attr.restrictions)}
        if wanted not in allowed_attrs:
            extra.append(f"reveal {', '.join(attr.names)}")
    for pred in request.predicates:
        if not any(_same_predicate(pred, allowed) for allowed in allowed_preds):
            extra.append(f"prove {pred.name} {pred.p_type} {pred.p_value}")
    return extra


def _same_predicate(pred, allowed: dict[str, Any]) -> bool:
    if (pred.name, pred.p_type, _canon(pred.restrictions)) != (
            allowed["name"], allowed["p_type"], allowed["restrictions"]):
        return False
    return pred.p_value == allowed["p_value"] or kind_of(pred.name) is Kind.DATE


@dataclass(frozen=True)
class Consent:
    id: str
    connection_id: str
    policy: str
    scope: dict[str, Any]
    until: dt.date
    max_per_month: int | None
    granted_at: str
    state: str = "active"

    @classmethod
    def from_record(cls, doc: dict[str, Any]) -> Consent:
        return cls(
            id=doc["id"], connection_id=doc["connection_id"], policy=doc["policy"],
            scope=doc["scope"], until=dt.date.fromisoformat(doc["until"]),
            max_per_month=doc.get("max_per_month"), granted_at=doc["granted_at"],
            state=doc.get("state", "active"),
        )

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "connection_id": self.connection_id, "policy": self.policy,
                "scope": self.scope, "until": self.until.isoformat(),
                "max_per_month": self.max_per_month, "granted_at": self.granted_at,
                "state": self.state}

    def in_force(self, today: dt.date) -> bool:
        return self.state == "active" and today <= self.until

    def describe_scope(self) -> str:
        parts = [f"reveal {', '.join(a['names'])}" for a in self.scope["attributes"]]
        parts += [f"prove {label_of(p['name'])} {p['p_type']} {display(p['name'], p['p_value'])}"
                  for p in self.scope["predicates"]]
        return "; ".join(parts) or "nothing"


def grant(client: AdminClient, *, connection_id: str, policy: str, until: dt.date,
          max_per_month: int | None = None) -> Consent:
    """Consent to answer `policy` requests from this connection within the scope of the
    latest such request already received."""
    from ssi_wallet.holder.connections import get_connection
    from ssi_wallet.holder.proofs import list_requests

    if until < dt.date.today():
        raise UsageError(f"--until {until.isoformat()} is in the past")
    if max_per_month is not None and max_per_month < 1:
        raise UsageError("--max-per-month must be at least 1")
    get_connection(client, connection_id)
    answered = [r for r in list_requests(client, state=None)
                if r.connection_id == connection_id and policy_of(r.name) == policy
                and r.state in ANSWERED]
    if not answered:
        raise NotFoundError(
            f"you have not answered a {policy!r} request from connection {connection_id}",
            hint="answer one first: consent covers what you already agreed to show")
    scope = merge_scopes([scope_of(r) for r in answered])
    doc = app_records.add(client, CATEGORY, {
        "connection_id": connection_id, "policy": policy, "scope": scope,
        "until": until.isoformat(), "max_per_month": max_per_month,
        "granted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "state": "active",
    })
    return Consent.from_record(doc)


def list_consents(client: AdminClient) -> list[Consent]:
    consents = [Consent.from_record(d) for d in app_records.find(client, CATEGORY)]
    return sorted(consents, key=lambda c: c.granted_at)


def revoke(client: AdminClient, consent_id: str) -> Consent:
    doc = app_records.get(client, CATEGORY, consent_id)
    doc = app_records.put(client, CATEGORY, consent_id, {**doc, "state": "revoked"})
    return Consent.from_record(doc)


def uses_in_month(history: list[dict[str, Any]], consent_id: str, today: dt.date) -> int:
    """How often `consent_id` answered this month, by the wallet's history."""
    month = today.strftime("%Y-%m")
    return sum(1 for e in history
               if e.get("consent_id") == consent_id and str(e.get("at", "")).startswith(month))


@dataclass(frozen=True)
class Answer:
    consent_id: str | None
    action: str              # "presented" | "declined" | "waiting"
    reason: str


def consents_for(request: ProofRequest, consents: list[Consent], today: dt.date
                 ) -> list[Consent]:
    """The consents in force for this request's connection and policy."""
    return [c for c in consents
            if c.connection_id == request.connection_id
            and c.policy == policy_of(request.name) and c.in_force(today)]


def screen(request: ProofRequest, consents: list[Consent], today: dt.date,
           uses: Callable[[str], int]) -> tuple[Consent | None, str]:
    """The first consent in force that covers `request` (its scope, its monthly limit:
    `uses(consent_id)` answers so far this month), or None and why nothing does."""
    candidates = consents_for(request, consents, today)
    if not candidates:
        return None, "no consent in force covers this request"
    reasons = []
    for consent in candidates:
        extra = outside_scope(request, consent.scope)
        if extra:
            reasons.append(f"asks more than consent {consent.id}: {'; '.join(extra)}")
            continue
        if consent.max_per_month is not None and uses(consent.id) >= consent.max_per_month:
            reasons.append(f"consent {consent.id} already used {consent.max_per_month} "
                           "time(s) this month")
            continue
        return consent, "within the consented scope"
    return None, "; ".join(reasons)


def verdict(consent: Consent, plan) -> Answer:
    """What a consent that covers the request does with its plan. Answerable:
    presented. Not provable (a predicate that is false, a revoked or expired
    credential): declined with the reason, as the citizen consented to answer. A
    credential missing altogether: waiting for the citizen."""
    if plan.ready:
        return Answer(consent.id, "presented", "within the consented scope")
    missing = [c for c in plan.choices if c.credential is None and not c.skipped
               and c.candidates == 0]
    if missing:
        return Answer(consent.id, "waiting", "; ".join(plan.problems))
    return Answer(consent.id, "declined", "; ".join(plan.problems))
