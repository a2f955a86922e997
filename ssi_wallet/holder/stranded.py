"""Exchanges the wallet sent its part of and never heard back on: a credential request
(`request-sent`) or a presentation (`presentation-sent`).

Why they exist: ACA-Py saves the new state before its in-memory outbound queue delivers
the message, and acknowledges an inbound message before processing it. A kill -9 (or a
peer that stays unreachable past ACA-Py's four retries, 10 s apart) leaves the record
saying "sent" while the peer never got it, or the peer's answer never arrived. Nothing
in the protocol retries that by itself, so the wallet lists such exchanges and abandons
them with a problem report: both sides end `abandoned`, and the issuer can offer again
or the verifier ask again.

Abandoning a credential exchange also deletes the wallet's exchange record (never a
stored credential: there is none in `request-sent`). ACA-Py 0.12.8 stores a credential
that arrives for an exchange in any state, abandoned included; without the record a late
credential is refused, so an abandoned exchange can never add a second copy next to the
one a new offer brings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ssi_wallet.errors import InvalidInputError, NotFoundError, UsageError
from ssi_wallet.holder.models import Offer, ProofRequest

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

Kind = Literal["credential", "presentation"]
DEFAULT_GRACE_SECONDS = 60.0
GRACE_SETTING = "exchanges.grace_seconds"
AUTO_SETTING = "exchanges.abandon_after_restart"


@dataclass(frozen=True)
class _Protocol:
    records: str
    role: str
    sent_state: str
    id_field: str


PROTOCOLS: dict[Kind, _Protocol] = {
    "credential": _Protocol("/issue-credential-2.0/records", "holder", "request-sent",
                            "cred_ex_id"),
    "presentation": _Protocol("/present-proof-2.0/records", "prover", "presentation-sent",
                              "pres_ex_id"),
}


@dataclass(frozen=True)
class Waiting:
    """One exchange the wallet sent its part of and has no answer to yet."""

    kind: Kind
    id: str
    connection_id: str | None
    counterparty: str | None
    what: str | None            # the credential type, or the proof request's name
    since: str | None           # when the record last changed (ACA-Py's updated_at)
    idle_seconds: float         # silent this long while the agent ran
    survived_restart: bool      # sent before the running agent started
    stranded: bool              # idle past the grace period: "sent, not acknowledged"
    attributes: dict[str, str] | None = None  # the offer's values (credentials only)

    @property
    def status(self) -> str:
        if self.stranded:
            return "sent, not acknowledged"
        return ("waiting for the credential" if self.kind == "credential"
                else "waiting for the verifier")

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "state": PROTOCOLS[self.kind].sent_state,
            "connection_id": self.connection_id, "counterparty": self.counterparty,
            "what": self.what, "since": self.since, "idle_seconds": round(self.idle_seconds, 1),
            "survived_restart": self.survived_restart, "stranded": self.stranded,
            "status": self.status,
        }
        if self.kind == "credential":
            doc["attributes"] = self.attributes or {}
        return doc


def grace_seconds(home: Path | None = None) -> float:
    """`exchanges.grace_seconds` from config.toml (default 60: longer than a peer's
    ACA-Py retries, 4 x 10 s, so an answer still on its way is not cut off)."""
    from ssi_wallet.config import get_setting, load_config

    value = get_setting(load_config(home), GRACE_SETTING, DEFAULT_GRACE_SECONDS)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidInputError(f"{GRACE_SETTING} must be a number of seconds >= 0")
    return float(value)


def abandon_after_restart(home: Path | None = None) -> bool:
    """`exchanges.abandon_after_restart` (default true)."""
    from ssi_wallet.config import get_setting, load_config

    return bool(get_setting(load_config(home), AUTO_SETTING, True))


def agent_started_at(home: Path | None = None) -> dt.datetime | None:
    """When the running holder agent was started (None when it is not running)."""
    from ssi_wallet.agent.running import status
    from ssi_wallet.holder.agent import require_wallet

    runtime = status(require_wallet(home).root)
    return parse_time(runtime.started_at) if runtime else None


def parse_time(text: str | None) -> dt.datetime | None:
    """ACA-Py's `2026-11-21T20:18:55.123456Z` (or any ISO time) as an aware datetime."""
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def list_waiting(client: AdminClient, kind: Kind, *, grace: float,
                 started_at: dt.datetime | None, now: dt.datetime | None = None,
                 labels: dict[str, Any] | None = None) -> list[Waiting]:
    """The exchanges of `kind` in their sent state, oldest first. An exchange is
    `stranded` once it was silent for `grace` seconds while the agent ran (time the
    agent was down does not count: a peer's retries may still arrive after a restart)."""
    proto = PROTOCOLS[kind]
    records = client.get(proto.records,
                         params={"role": proto.role, "state": proto.sent_state})
    records = records.get("results", []) if isinstance(records, dict) else []
    if labels is None and records:
        from ssi_wallet.holder.connections import labels as connection_labels

        labels = connection_labels(client)
    now = now or dt.datetime.now(dt.UTC)
    found = [_waiting(kind, rec, labels or {}, grace, started_at, now) for rec in records]
    return sorted((w for w in found if w is not None), key=lambda w: w.since or "")


def _waiting(kind: Kind, rec: dict[str, Any], labels: dict[str, Any], grace: float,
             started_at: dt.datetime | None, now: dt.datetime) -> Waiting | None:
    exchange = rec.get("cred_ex_record", rec) if kind == "credential" else rec
    if not isinstance(exchange, dict) or not exchange.get(PROTOCOLS[kind].id_field):
        return None
    changed = parse_time(exchange.get("updated_at") or exchange.get("created_at"))
    survived = bool(started_at and changed and changed < started_at)
    quiet_from = max(t for t in (changed, started_at) if t) if (changed or started_at) else now
    idle = max((now - quiet_from).total_seconds(), 0.0)
    conn = labels.get(exchange.get("connection_id") or "")
    attributes = None
    if kind == "credential":
        offer = Offer.from_record(rec)
        what, attributes = offer.credential_type or offer.cred_def_id, offer.attributes
    else:
        try:
            what = ProofRequest.from_record(exchange).name
        except InvalidInputError:
            what = None
    return Waiting(kind=kind, id=exchange[PROTOCOLS[kind].id_field],
                   connection_id=exchange.get("connection_id"),
                   counterparty=getattr(conn, "their_label", None), what=what,
                   since=exchange.get("updated_at"), idle_seconds=idle,
                   survived_restart=survived, stranded=idle >= grace, attributes=attributes)


def abandon(client: AdminClient, kind: Kind, exchange_id: str, *, grace: float,
            started_at: dt.datetime | None, reason: str | None = None,
            automatic: bool = False) -> dict[str, Any]:
    """Abandon one sent-not-acknowledged exchange: a problem report tells the peer (its
    record goes `abandoned`), and the history keeps a note. Refused before the exchange
    was silent for `grace` seconds: until then the answer, or the wallet's own retries of
    its message, may still arrive. Returns `abandoned`, or `completed` when the answer
    arrived in the instant before."""
    proto = PROTOCOLS[kind]
    path = f"{proto.records}/{exchange_id}"
    noun = "credential exchange" if kind == "credential" else "presentation"
    try:
        record = client.get(path)
    except NotFoundError:
        raise NotFoundError(f"no {noun} {exchange_id}") from None
    exchange = record.get("cred_ex_record", record) if kind == "credential" else record
    state = str(exchange.get("state", ""))
    if state != proto.sent_state:
        raise UsageError(f"{noun} {exchange_id} is {state}, not waiting for an answer "
                         f"(only {proto.sent_state} can be abandoned)")
    waiting = _waiting(kind, record, {}, grace, started_at, dt.datetime.now(dt.UTC))
    if waiting is not None and not waiting.stranded:
        raise UsageError(f"{noun} {exchange_id} has waited {waiting.idle_seconds:.0f} s; its "
                         f"answer may still come: abandon it after {grace:.0f} s "
                         f"({GRACE_SETTING})")
    description = reason or (
        "The holder abandons this exchange: its "
        + ("credential request" if kind == "credential" else "presentation")
        + " was sent but never acknowledged. Please "
        + ("offer the credential again." if kind == "credential" else "ask again."))
    client.post(f"{path}/problem-report", json={"description": description})
    outcome = "abandoned"
    if kind == "credential":
        record = client.get(path)
        if (record.get("indy") or {}).get("cred_id_stored"):
            outcome = "completed"  # stored in the instant before the report: keep it
        else:
            # Without the record, a late credential is refused (ACA-Py would store it).
            client.delete(path)
    from ssi_wallet.holder.history import record_event

    record_event(client, "exchange_abandoned", exchange=kind, exchange_id=exchange_id,
                 connection_id=exchange.get("connection_id"), reason=description,
                 automatic=automatic, outcome=outcome)
    return {"id": exchange_id, "kind": kind, "outcome": outcome,
            "abandoned": outcome == "abandoned", "automatic": automatic}


def abandon_survivors(client: AdminClient, *, grace: float,
                      started_at: dt.datetime) -> list[dict[str, Any]]:
    """Abandon every exchange that was sent before this agent started and has stayed
    silent for `grace` seconds since (the agent plugin runs this once per start)."""
    done = []
    for kind in PROTOCOLS:
        for waiting in list_waiting(client, kind, grace=grace, started_at=started_at,
                                    labels={}):
            if waiting.survived_restart and waiting.stranded:
                try:
                    done.append(abandon(client, kind, waiting.id, grace=grace,
                                        started_at=started_at, automatic=True))
                except (UsageError, NotFoundError):
                    continue  # it moved on meanwhile (answered, or abandoned by hand)
    return done
