"""How a proof request would be answered: the decisions, with no I/O.

`decide_plan` works on what has been fetched so far (`PlanFacts`). When it needs more
(the next page of a referent's candidates, or whether a credential is revoked) it raises
`NeedFacts`; the caller fetches that and calls it again. So the CLI (admin API, sync)
and the wallet's agent plugin (ACA-Py's Python API, async) make the same choice with
their own I/O: the newest valid credential, a revoked or expired one never used
silently, one credential per request wherever it can answer all of it.

Candidates come newest first (by when the wallet stored them) in pages; only as many
pages are read as the choice needs, so a wallet of 10,000 credentials is not loaded to
answer one request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ssi_wallet.encoding import Kind, format_month, kind_of, predicate_words
from ssi_wallet.errors import InvalidInputError, UsageError
from ssi_wallet.holder.credentials import expiry_of
from ssi_wallet.holder.models import Connection, Credential, ProofRequest, Restriction

#: Candidates fetched per referent and page (newest first).
PAGE = 20
#: At most this many candidates of one referent are looked at (as ACA-Py's listing did).
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


@dataclass
class PlanFacts:
    """What has been fetched for one request. `candidates[ref]` is the newest-first
    prefix read so far of the `totals[ref]` credentials that match the item (no total:
    not counted, and more may follow);
    `revoked[cred_id]` says whether the issuer revoked it (revocable ones only);
    `chosen[ref]` is the credential `--use` named (None: not in the wallet)."""

    request: ProofRequest
    connection: Connection | None = None
    candidates: dict[str, list[Credential]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    revoked: dict[str, bool] = field(default_factory=dict)
    use: dict[str, str] = field(default_factory=dict)
    chosen: dict[str, Credential | None] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)

    def add_page(self, referent: str, page: list[Credential], total: int | None,
                 asked: int = PAGE) -> None:
        """Add the next page; `total` None: not counted (a short page says it all)."""
        have = self.candidates.setdefault(referent, [])
        have.extend(page)
        if total is None and len(page) >= asked:
            self.totals.pop(referent, None)  # more may follow
        else:
            self.totals[referent] = len(have) if total is None else total

    def exhausted(self, referent: str) -> bool:
        have = len(self.candidates.get(referent, []))
        total = self.totals.get(referent)
        return have >= MAX_CANDIDATES if total is None else have >= min(total, MAX_CANDIDATES)

    def count(self, referent: str) -> int:
        """How many credentials match (at least those fetched, when not counted)."""
        return self.totals.get(referent, len(self.candidates.get(referent, [])))


@dataclass(frozen=True)
class RevocationCheck:
    credential: Credential
    interval: dict[str, int] | None


class NeedFacts(Exception):
    """The decision needs more than it was given: the next candidate page of
    `more` referents, or the revocation status of `revocation` credentials."""

    def __init__(self, *, more: tuple[str, ...] = (),
                 revocation: tuple[RevocationCheck, ...] = ()) -> None:
        super().__init__(f"need pages {more} and revocation of "
                         f"{[r.credential.id for r in revocation]}")
        self.more = more
        self.revocation = revocation


def decide_plan(facts: PlanFacts) -> Plan:
    """The plan for `facts.request`, or NeedFacts (fetch it and call again)."""
    request = facts.request
    choices = [
        _choose(facts, a.referent, "attribute", a.names, a.restrictions, a.non_revoked)
        for a in request.attributes
    ]
    # A request's items belong together (the statement for *that* month): a predicate is
    # answered from a credential already answering the attributes when one can, never
    # by quietly mixing in another credential that happens to make it true.
    anchors = list({c.credential.id: c.credential for c in choices if c.credential}.values())
    for p in request.predicates:
        anchored = [] if p.referent in facts.use else \
            [a for a in anchors if satisfies(a, (p.name,), p.restrictions)]
        choice = _choose(facts, p.referent, "predicate", (p.name,), p.restrictions,
                         p.non_revoked, predicate=(p.p_type, p.p_value),
                         only=anchored or None)
        context = _predicate_context(choice.credential) \
            if kind_of(p.name) is Kind.MONEY else None
        words = predicate_words(p.name, p.p_type, p.p_value, context=context) \
            if p.p_type in (">=", ">", "<=", "<") else f"{p.name} {p.p_type} {p.p_value}"
        choices.append(replace(choice, words=words))
    return Plan(request, facts.connection, tuple(choices))


def _choose(facts: PlanFacts, referent: str, kind: Literal["attribute", "predicate"],
            names: tuple[str, ...], restrictions: tuple[Restriction, ...],
            non_revoked: dict[str, int] | None, *,
            predicate: tuple[str, int] | None = None,
            only: list[Credential] | None = None) -> Choice:
    options = only if only is not None else facts.candidates.get(referent, [])
    total = len(only) if only is not None else facts.count(referent)
    base = {"referent": referent, "kind": kind, "names": names, "restrictions": restrictions,
            "candidates": total}
    words = ", ".join(names)
    interval = non_revoked or facts.request.non_revoked

    def holds(cred: Credential) -> bool:
        return predicate is None or predicate_holds(cred, names[0], *predicate)

    if referent in facts.use:
        wanted = facts.use[referent]
        match = facts.chosen.get(referent)
        if match is None or not satisfies(match, names, restrictions) or not holds(match):
            raise UsageError(f"credential {wanted} cannot answer {referent!r} "
                             f"({total} credential(s) match it)")
        problem = _problem(facts, match, interval)
        if problem:
            return Choice(**base, credential=None, revealed={}, words=words,
                          problem=f"{referent}: chosen credential {wanted} is {problem}")
        return Choice(**base, credential=match, revealed=_revealed(kind, names, match),
                      words=words)
    skipped: list[tuple[str, str]] = []
    provable = 0
    for cred in options:
        if not holds(cred):
            continue
        provable += 1
        problem = _problem(facts, cred, interval)
        if problem is None:
            return Choice(**base, credential=cred, revealed=_revealed(kind, names, cred),
                          words=words, skipped=tuple(skipped))
        skipped.append((cred.id, problem))
    if only is None and not facts.exhausted(referent):
        raise NeedFacts(more=(referent,))
    if options and not provable and predicate is not None:
        problem = f"{referent}: {_unprovable(names[0], predicate, options[0])}"
    elif skipped:
        reasons = "; ".join(f"{cid} is {why}" for cid, why in skipped)
        problem = f"{referent}: no valid credential ({reasons})"
    else:
        source = " or ".join(r.describe() for r in restrictions) or "any issuer"
        problem = f"{referent}: no credential in the wallet has {words} (from {source})"
    return Choice(**base, credential=None, revealed={}, words=words, skipped=tuple(skipped),
                  problem=problem)


def _problem(facts: PlanFacts, cred: Credential,
             interval: dict[str, int] | None) -> str | None:
    """Why `cred` must not be used (expired, revoked), or None."""
    expires = expiry_of(cred)
    if expires is not None and expires < facts.today:
        return f"expired on {expires.isoformat()}"
    if interval and cred.revocable:
        if cred.id not in facts.revoked:
            raise NeedFacts(revocation=(RevocationCheck(cred, interval),))
        if facts.revoked[cred.id]:
            return "revoked by its issuer"
    return None


# --- which credentials can answer an item -------------------------------------------------


def normalize_attr(name: str) -> str:
    """Attribute names as ACA-Py's holder tags them (`attr::<name>::value`)."""
    return name.replace(" ", "")


def item_query(names: tuple[str, ...], restrictions: tuple[Restriction, ...]
               ) -> dict[str, Any]:
    """The wallet query (WQL) for credentials that can answer one requested item: every
    name present, and any one of the restrictions met (AnonCreds: restrictions are
    alternatives)."""
    has_names: dict[str, Any] = {"$exist": [f"attr::{normalize_attr(n)}::value"
                                            for n in names]}
    if not restrictions:
        return has_names
    alternatives = [{"$and": [_tag_clause(k, v) for k, v in sorted(r.fields.items())]}
                    for r in restrictions]
    return {"$and": [has_names, {"$or": alternatives}]}


def _tag_clause(key: str, value: str) -> dict[str, Any]:
    parts = key.split("::")
    if len(parts) == 3 and parts[0] == "attr":
        tag = f"attr::{normalize_attr(parts[1])}::value"
        return {"$exist": [tag]} if parts[2] == "marker" else {tag: value}
    return {key: value}


def satisfies(cred: Credential, names: tuple[str, ...],
              restrictions: tuple[Restriction, ...]) -> bool:
    """Whether `cred` matches `item_query(names, restrictions)` (for a credential
    already in hand: an anchor, or one named with `--use`)."""
    attrs = {normalize_attr(k): v for k, v in cred.attributes.items()}
    if not all(normalize_attr(n) in attrs for n in names):
        return False
    if not restrictions:
        return True
    tags = _tags_of(cred)
    return any(all(_tag_matches(tags, attrs, k, v) for k, v in r.fields.items())
               for r in restrictions)


def _tags_of(cred: Credential) -> dict[str, str]:
    parts = (cred.schema_id or "").split(":")
    keys = ("schema_issuer_did", "_", "schema_name", "schema_version")
    schema = dict(zip(keys, parts, strict=True)) if len(parts) == 4 else {}
    return {**schema, "schema_id": cred.schema_id or "", "cred_def_id": cred.cred_def_id,
            "issuer_did": cred.issuer_did or "", "rev_reg_id": cred.rev_reg_id or "None"}


def _tag_matches(tags: dict[str, str], attrs: dict[str, str], key: str, value: str) -> bool:
    parts = key.split("::")
    if len(parts) == 3 and parts[0] == "attr":
        name = normalize_attr(parts[1])
        if parts[2] == "marker":
            return name in attrs
        return name in attrs and str(attrs[name]) == value
    return key in tags and tags[key] == value


def predicate_holds(cred: Credential, name: str, p_type: str, p_value: int) -> bool:
    """Whether `cred` can prove `name p_type p_value` (AnonCreds would refuse otherwise)."""
    raw = cred.attributes.get(name)
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return False
    return {">=": value >= p_value, ">": value > p_value, "<=": value <= p_value,
            "<": value < p_value}.get(p_type, False)


def _unprovable(name: str, predicate: tuple[str, int], cred: Credential) -> str:
    claim = predicate_words(name, predicate[0], predicate[1],
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


def check_use(request: ProofRequest, use: dict[str, str]) -> None:
    """`--use` may only name referents the request has."""
    known = {a.referent for a in request.attributes} | {p.referent for p in request.predicates}
    unknown = sorted(set(use) - known)
    if unknown:
        raise UsageError(f"--use names no requested item: {', '.join(unknown)} "
                         f"(referents: {', '.join(sorted(known))})")


def all_referents(request: ProofRequest) -> list[str]:
    return [a.referent for a in request.attributes] + [p.referent for p in request.predicates]


def revocation_time(interval: dict[str, int] | None, now: float) -> int:
    """The moment a revocation check is made for: the interval's end, else now."""
    return int((interval or {}).get("to") or now)
