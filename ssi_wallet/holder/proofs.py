"""Proof requests: preview what would leave the wallet, then present or decline.

The preview is a `Plan`: for every requested attribute and predicate, the credential
that would answer it (default: the newest valid one), the values that would be revealed,
and predicates in plain words. Nothing is sent until the citizen agrees; a revoked or
expired credential is never used silently.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ssi_wallet.encoding import Kind, display, format_month, kind_of, predicate_words
from ssi_wallet.errors import InvalidInputError, NotFoundError, UsageError
from ssi_wallet.holder.connections import get_connection
from ssi_wallet.holder.credentials import expiry_of, is_revoked, newest_first_key, received_times
from ssi_wallet.holder.models import Connection, Credential, ProofRequest, Restriction
from ssi_wallet.holder.waiting import wait_for_state

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

RECORDS = "/present-proof-2.0/records"
OPEN_STATE = "request-received"
MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class Choice:
    """How one requested attribute (group) or predicate would be answered."""

    referent: str
    kind: Literal["attribute", "predicate"]
    names: tuple[str, ...]
    restrictions: tuple[Restriction, ...]
    credential: Credential | None
    revealed: dict[str, str]
    words: str
    candidates: int
    skipped: tuple[tuple[str, str], ...] = ()
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "referent": self.referent,
            "kind": self.kind,
            "names": list(self.names),
            "description": self.words,
            "credential_id": self.credential.id if self.credential else None,
            "cred_def_id": self.credential.cred_def_id if self.credential else None,
            "revealed": self.revealed,
            "candidates": self.candidates,
            "skipped": [{"credential_id": c, "reason": r} for c, r in self.skipped],
            "restrictions": [r.fields for r in self.restrictions],
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Plan:
    """Everything the citizen needs to decide, and what `present` would send."""

    request: ProofRequest
    connection: Connection | None
    choices: tuple[Choice, ...]
    flags: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        return all(choice.credential is not None for choice in self.choices)

    @property
    def problems(self) -> list[str]:
        return [choice.problem for choice in self.choices if choice.problem]

    @property
    def revealed(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for choice in self.choices:
            values.update(choice.revealed)
        return values

    def presentation_spec(self) -> dict[str, Any]:
        """The body of ACA-Py's send-presentation for this plan."""
        if not self.ready:
            raise UsageError("cannot present: " + "; ".join(self.problems))
        attrs = {c.referent: {"cred_id": c.credential.id, "revealed": True}
                 for c in self.choices if c.kind == "attribute" and c.credential}
        preds = {c.referent: {"cred_id": c.credential.id}
                 for c in self.choices if c.kind == "predicate" and c.credential}
        return {"indy": {"requested_attributes": attrs, "requested_predicates": preds,
                         "self_attested_attributes": {}}}

    def to_json(self) -> dict[str, Any]:
        conn = self.connection
        return {
            "id": self.request.id,
            "connection_id": self.request.connection_id,
            "verifier": {"label": conn.their_label if conn else None,
                         "did": (conn.their_public_did or conn.their_did) if conn else None},
            "name": self.request.name,
            "state": self.request.state,
            "ready": self.ready,
            "attributes": [c.to_json() for c in self.choices if c.kind == "attribute"],
            "predicates": [c.to_json() for c in self.choices if c.kind == "predicate"],
            "non_revoked": self.request.non_revoked,
            "revealed": self.revealed,
            "problems": self.problems,
            "flags": list(self.flags),
        }


def list_requests(client: AdminClient, *, state: str | None = OPEN_STATE) -> list[ProofRequest]:
    params = {"role": "prover", **({"state": state} if state else {})}
    records = client.get(RECORDS, params=params).get("results", [])
    requests = []
    for record in records:
        try:
            requests.append(ProofRequest.from_record(record))
        except InvalidInputError:
            continue  # one verifier's malformed request must not hide the others
    return sorted(requests, key=lambda r: r.created_at or "")


def get_request(client: AdminClient, request_id: str) -> ProofRequest:
    try:
        return ProofRequest.from_record(client.get(f"{RECORDS}/{request_id}"))
    except NotFoundError:
        raise NotFoundError(f"no proof request {request_id}") from None


def parse_use(pairs: list[str]) -> dict[str, str]:
    """`["income=abc-123"]` -> `{"income": "abc-123"}` for `--use REFERENT=CREDENTIAL_ID`."""
    chosen: dict[str, str] = {}
    for pair in pairs:
        referent, sep, cred_id = pair.partition("=")
        if not sep or not referent.strip() or not cred_id.strip():
            raise UsageError(f"--use takes REFERENT=CREDENTIAL_ID, not {pair!r}")
        chosen[referent.strip()] = cred_id.strip()
    return chosen


def plan_presentation(client: AdminClient, request_id: str,
                      use: Mapping[str, str] | None = None) -> Plan:
    """Work out, without sending anything, how the request would be answered."""
    request = get_request(client, request_id)
    if request.state != OPEN_STATE:
        raise UsageError(f"proof request {request_id} is {request.state}, not open")
    use = dict(use or {})
    known = {a.referent for a in request.attributes} | {p.referent for p in request.predicates}
    unknown = sorted(set(use) - known)
    if unknown:
        raise UsageError(f"--use names no requested item: {', '.join(unknown)} "
                         f"(referents: {', '.join(sorted(known))})")
    candidates = _candidates(client, request_id)
    connection = None
    if request.connection_id:
        try:
            connection = get_connection(client, request.connection_id)
        except NotFoundError:
            connection = None
    checker = _Validity(client, request)
    choices = [
        _choose(checker, a.referent, "attribute", a.names, a.restrictions,
                a.non_revoked, candidates.get(a.referent, []), use.get(a.referent))
        for a in request.attributes
    ]
    # A request's items belong together (the statement for *that* month): a predicate is
    # answered from a credential already answering the attributes when one can, never
    # by quietly mixing in another credential that happens to make it true.
    anchors = {c.credential.id for c in choices if c.credential}
    for p in request.predicates:
        options = candidates.get(p.referent, [])
        if p.referent not in use and any(c.id in anchors for c in options):
            options = [c for c in options if c.id in anchors]
        holds = [c for c in options if predicate_holds(c, p.name, p.p_type, p.p_value)]
        choice = _choose(checker, p.referent, "predicate", (p.name,), p.restrictions,
                         p.non_revoked, holds, use.get(p.referent))
        if options and not holds:
            choice = Choice(**{**choice.__dict__, "candidates": len(options), "problem": (
                f"{p.referent}: {_unprovable(p, options[0])}")})
        context = _predicate_context(choice.credential) \
            if kind_of(p.name) is Kind.MONEY else None
        words = predicate_words(p.name, p.p_type, p.p_value, context=context) \
            if p.p_type in (">=", ">", "<=", "<") else f"{p.name} {p.p_type} {p.p_value}"
        choices.append(Choice(**{**choice.__dict__, "words": words}))
    return Plan(request, connection, tuple(choices), tuple(_over_asking(client, request,
                                                                      connection)))


def present(client: AdminClient, plan: Plan, *, timeout: float = 60.0) -> dict[str, Any]:
    """Send the presentation the plan describes; returns once it has left the wallet."""
    spec = plan.presentation_spec()
    # ACA-Py answers send-presentation once the presentation is built and handed to the
    # transport, normally already `presentation-sent`: then no event stream is needed.
    # Otherwise wait on events; reading the record after subscribing closes the race.
    record = client.post(f"{RECORDS}/{plan.request.id}/send-presentation", json=spec) or {}
    if record.get("state") in ("presentation-sent", "done"):
        return record

    def trigger() -> str:
        return plan.request.id

    return wait_for_state(
        client,
        topic="present_proof_v2_0",
        id_field="pres_ex_id",
        trigger=trigger,
        fetch=lambda rid: client.get(f"{RECORDS}/{rid}"),
        done=("presentation-sent", "done"),
        failed=("abandoned",),
        timeout=timeout,
        what="presentation",
    )


def decline(client: AdminClient, request_id: str, *, reason: str | None = None,
            consent_id: str | None = None) -> None:
    """Refuse the request: the verifier gets a problem report, the history a note."""
    request = get_request(client, request_id)
    if request.state != OPEN_STATE:
        raise UsageError(f"proof request {request_id} is {request.state}, not open")
    client.post(f"{RECORDS}/{request_id}/problem-report",
                json={"description": reason or "The holder declined to present."})
    from ssi_wallet.holder.history import record_event

    record_event(client, "declined", connection_id=request.connection_id,
                 pres_ex_id=request_id, request_name=request.name, reason=reason,
                 consent_id=consent_id)


# --- internals ----------------------------------------------------------------------------


def _candidates(client: AdminClient, request_id: str) -> dict[str, list[Credential]]:
    items = client.get(f"{RECORDS}/{request_id}/credentials",
                       params={"count": MAX_CANDIDATES})
    if not isinstance(items, list):
        raise InvalidInputError("the agent returned an unexpected candidate list")
    ids = sorted({(item.get("cred_info") or {}).get("referent") for item in items} - {None})
    times = received_times(client, ids) if ids else {}
    by_ref: dict[str, list[Credential]] = {}
    for item in items:
        info = item.get("cred_info") or {}
        if "referent" not in info:
            continue
        cred = Credential.from_record(info, times.get(info["referent"]))
        for ref in item.get("presentation_referents") or []:
            by_ref.setdefault(ref, []).append(cred)
    for creds in by_ref.values():
        creds.sort(key=newest_first_key, reverse=True)
    return by_ref


class _Validity:
    """Checks each credential at most once: expiry locally, revocation on the ledger."""

    def __init__(self, client: AdminClient, request: ProofRequest) -> None:
        self.client = client
        self.request = request
        self.cache: dict[str, str | None] = {}

    def problem(self, cred: Credential, non_revoked: dict[str, int] | None) -> str | None:
        if cred.id not in self.cache:
            self.cache[cred.id] = self._check(cred, non_revoked or self.request.non_revoked)
        return self.cache[cred.id]

    def _check(self, cred: Credential, interval: dict[str, int] | None) -> str | None:
        expires = expiry_of(cred)
        if expires is not None and expires < _today():
            return f"expired on {expires.isoformat()}"
        if interval and cred.revocable:
            at = int(interval.get("to") or time.time())
            if is_revoked(self.client, cred.id, at=at):
                return "revoked by its issuer"
        return None


def _choose(checker: _Validity, referent: str, kind: Literal["attribute", "predicate"],
            names: tuple[str, ...], restrictions: tuple[Restriction, ...],
            non_revoked: dict[str, int] | None, options: list[Credential],
            wanted: str | None) -> Choice:
    base = {"referent": referent, "kind": kind, "names": names, "restrictions": restrictions,
            "candidates": len(options)}
    words = ", ".join(names)
    if wanted is not None:
        match = next((c for c in options if c.id == wanted), None)
        if match is None:
            raise UsageError(f"credential {wanted} cannot answer {referent!r} "
                             f"({len(options)} credential(s) can)")
        problem = checker.problem(match, non_revoked)
        if problem:
            return Choice(**base, credential=None, revealed={}, words=words,
                          problem=f"{referent}: chosen credential {wanted} is {problem}")
        return Choice(**base, credential=match, revealed=_revealed(kind, names, match),
                      words=words)
    skipped: list[tuple[str, str]] = []
    for cred in options:
        problem = checker.problem(cred, non_revoked)
        if problem is None:
            return Choice(**base, credential=cred, revealed=_revealed(kind, names, cred),
                          words=words, skipped=tuple(skipped))
        skipped.append((cred.id, problem))
    if skipped:
        reasons = "; ".join(f"{cid} is {why}" for cid, why in skipped)
        problem = f"{referent}: no valid credential ({reasons})"
    else:
        source = " or ".join(r.describe() for r in restrictions) or "any issuer"
        problem = f"{referent}: no credential in the wallet has {words} (from {source})"
    return Choice(**base, credential=None, revealed={}, words=words, skipped=tuple(skipped),
                  problem=problem)


def predicate_holds(cred: Credential, name: str, p_type: str, p_value: int) -> bool:
    """Whether `cred` can prove `name p_type p_value` (AnonCreds would refuse otherwise)."""
    raw = cred.attributes.get(name)
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return False
    return {">=": value >= p_value, ">": value > p_value, "<=": value <= p_value,
            "<": value < p_value}.get(p_type, False)


def _unprovable(p, cred: Credential) -> str:
    claim = predicate_words(p.name, p.p_type, p.p_value,
                            context=_predicate_context(cred)).split(";")[0]
    return f"this cannot be proven: it is not true that {claim}"


def _revealed(kind: str, names: tuple[str, ...], cred: Credential) -> dict[str, str]:
    if kind != "attribute":
        return {}
    return {name: cred.attributes.get(name, "") for name in names}


def _predicate_context(cred: Credential | None) -> str | None:
    month = cred.attributes.get("month") if cred else None
    if not month:
        return None
    try:
        return f"for {format_month(month)}"
    except InvalidInputError:
        return None


def _over_asking(client: AdminClient, request: ProofRequest,
                 connection: Connection | None) -> list[str]:
    """Flags for a request that asks more than the agency's published schemes need."""
    if connection is None:
        return []
    from ssi_wallet.holder.schemes import over_asking, schemes_for_connection

    return over_asking(request, schemes_for_connection(client, connection))


def _today():
    import datetime as dt

    return dt.date.today()


def describe_value(name: str, raw: str) -> str:
    """A revealed value as the citizen reads it in the preview."""
    return display(name, raw)
