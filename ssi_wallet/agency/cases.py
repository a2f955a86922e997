"""The verifier's case store: cases, proof exchanges, decisions, payments, awards, brakes,
audit, and the outbox of actions — in the agency's database (`ssi_wallet.agency.db`:
SQLite WAL by default, PostgreSQL by URL).

Exactly once: a proof exchange (`pres_ex_id`, unique) is decided in ONE transaction that
writes the decision, the workflow's records, the audit entry and the pending actions and
marks the exchange processed. A redelivered proof finds it processed and does nothing; a
crash before the commit leaves nothing behind and the exchange is decided again later.
Payments are unique per case and month, awards per case and scheme: even a second proof
exchange for the same month can never pay twice. Actions that leave the agency (issue a
credential, send a message, call a URL) run after the commit from the outbox, each
claimed by one process, and are retried until done.

Cases and connections. A case invitation (`verifier invite --case REF`, single-use) links
the one connection made through it to case REF; a new case invitation for the same REF
moves the case to the citizen's new connection (continuity: staff know it is him). A
scheme invitation (`verifier invite --scheme PREFIX`, multi-use, published in the signed
scheme catalogue) opens a case of its own for every connection made through it,
`PREFIX-<connection id>`: two citizens never share a case, and a citizen who connects
again (a new connection, a new pairwise DID) gets a new case, because nothing he showed
tells the agency it is him.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ssi_wallet.errors import NotFoundError

if TYPE_CHECKING:
    from ssi_wallet.agency.config import AgencyConfig
    from ssi_wallet.agency.db import Database, Transaction

MODULE = "verifier_cases"
MIGRATIONS = [
    """CREATE TABLE verifier_cases (
           case_ref TEXT PRIMARY KEY,
           workflow TEXT,
           connection_id TEXT,
           origin TEXT NOT NULL,
           status TEXT NOT NULL,
           created_at TEXT NOT NULL,
           updated_at TEXT NOT NULL);
       CREATE INDEX verifier_cases_conn ON verifier_cases (connection_id)""",
    """CREATE TABLE verifier_invitations (
           invi_msg_id TEXT PRIMARY KEY,
           case_ref TEXT NOT NULL REFERENCES verifier_cases (case_ref),
           policy_path TEXT,
           connection_id TEXT,
           requested INTEGER NOT NULL DEFAULT 0,
           created_at TEXT NOT NULL)""",
    """CREATE TABLE verifier_exchanges (
           pres_ex_id TEXT PRIMARY KEY,
           case_ref TEXT NOT NULL REFERENCES verifier_cases (case_ref),
           connection_id TEXT NOT NULL,
           purpose TEXT NOT NULL,
           policy_name TEXT NOT NULL,
           policy_path TEXT,
           policy_sha256 TEXT NOT NULL,
           policy_text TEXT NOT NULL,
           request_json TEXT NOT NULL,
           as_of TEXT NOT NULL,
           status TEXT NOT NULL,
           outcome TEXT,
           requested_at TEXT NOT NULL,
           processed_at TEXT);
       CREATE INDEX verifier_exchanges_status ON verifier_exchanges (status);
       CREATE INDEX verifier_exchanges_case ON verifier_exchanges (case_ref)""",
    """CREATE TABLE verifier_decisions (
           id {autoid},
           pres_ex_id TEXT NOT NULL UNIQUE REFERENCES verifier_exchanges (pres_ex_id),
           case_ref TEXT NOT NULL,
           workflow TEXT NOT NULL,
           proof_outcome TEXT NOT NULL,
           outcome TEXT NOT NULL,
           summary TEXT NOT NULL,
           values_json TEXT NOT NULL,
           decided_at TEXT NOT NULL)""",
    """CREATE TABLE verifier_payments (
           id {autoid},
           case_ref TEXT NOT NULL,
           month INTEGER NOT NULL,
           amount_cents {bigint} NOT NULL,
           pres_ex_id TEXT NOT NULL,
           created_at TEXT NOT NULL,
           UNIQUE (case_ref, month))""",
    """CREATE TABLE verifier_awards (
           id {autoid},
           case_ref TEXT NOT NULL,
           scheme TEXT NOT NULL,
           amount_cents {bigint} NOT NULL,
           decision_ref TEXT NOT NULL,
           pres_ex_id TEXT NOT NULL,
           created_at TEXT NOT NULL,
           UNIQUE (case_ref, scheme))""",
    """CREATE TABLE verifier_brakes (
           id {autoid},
           case_ref TEXT NOT NULL,
           event TEXT NOT NULL,
           reason TEXT NOT NULL,
           pres_ex_id TEXT,
           at TEXT NOT NULL);
       CREATE INDEX verifier_brakes_case ON verifier_brakes (case_ref)""",
    """CREATE TABLE verifier_audit (
           id {autoid},
           pres_ex_id TEXT NOT NULL UNIQUE,
           case_ref TEXT NOT NULL,
           policy_name TEXT NOT NULL,
           policy_sha256 TEXT NOT NULL,
           proof_outcome TEXT NOT NULL,
           outcome TEXT NOT NULL,
           learned_json TEXT NOT NULL,
           problems_json TEXT NOT NULL,
           issuers_json TEXT NOT NULL,
           at TEXT NOT NULL)""",
    """CREATE TABLE verifier_actions (
           id {autoid},
           pres_ex_id TEXT NOT NULL,
           seq INTEGER NOT NULL,
           kind TEXT NOT NULL,
           spec_json TEXT NOT NULL,
           connection_id TEXT,
           status TEXT NOT NULL,
           attempts INTEGER NOT NULL DEFAULT 0,
           last_error TEXT,
           result_json TEXT,
           claimed_by TEXT,
           updated_at TEXT NOT NULL,
           UNIQUE (pres_ex_id, seq));
       CREATE INDEX verifier_actions_status ON verifier_actions (status)""",
    # two-step policies (then_reveal): the second exchange names the first
    "ALTER TABLE verifier_exchanges ADD COLUMN parent_pres_ex_id TEXT",
    # scheme invitations: multi-use, published; every connection made through one gets a
    # case of its own (`verifier_connection_cases`, one row per connection)
    """CREATE TABLE verifier_scheme_invitations (
           invi_msg_id TEXT PRIMARY KEY,
           case_prefix TEXT NOT NULL,
           workflow TEXT,
           policy_path TEXT,
           created_at TEXT NOT NULL)""",
    """CREATE TABLE verifier_connection_cases (
           connection_id TEXT PRIMARY KEY,
           invi_msg_id TEXT NOT NULL,
           case_ref TEXT NOT NULL REFERENCES verifier_cases (case_ref),
           requested INTEGER NOT NULL DEFAULT 0,
           created_at TEXT NOT NULL);
       CREATE INDEX verifier_connection_cases_invi ON verifier_connection_cases (invi_msg_id)""",
]

BRAKE_ACTIVE_EVENTS = ("applied", "continued")


def scheme_case_ref(prefix: str, connection_id: str) -> str:
    """The case a connection made through a scheme invitation opens: one per connection,
    so two citizens (or one citizen who connects again) never share a case."""
    return f"{prefix}-{connection_id}"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def loads(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


@dataclass(frozen=True)
class Exchange:
    pres_ex_id: str
    case_ref: str
    connection_id: str
    purpose: str
    policy_name: str
    policy_path: str | None
    policy_sha256: str
    policy_text: str
    request: dict[str, Any]
    as_of: dt.date
    status: str
    outcome: str | None
    requested_at: str
    processed_at: str | None
    parent_pres_ex_id: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Exchange:
        return cls(
            pres_ex_id=row["pres_ex_id"], case_ref=row["case_ref"],
            connection_id=row["connection_id"], purpose=row["purpose"],
            policy_name=row["policy_name"], policy_path=row["policy_path"],
            policy_sha256=row["policy_sha256"], policy_text=row["policy_text"],
            request=loads(row["request_json"]), as_of=dt.date.fromisoformat(row["as_of"]),
            status=row["status"], outcome=row["outcome"], requested_at=row["requested_at"],
            processed_at=row["processed_at"], parent_pres_ex_id=row.get("parent_pres_ex_id"))

    def to_json(self) -> dict[str, Any]:
        return {"pres_ex_id": self.pres_ex_id, "case_ref": self.case_ref,
                "connection_id": self.connection_id, "purpose": self.purpose,
                "policy": self.policy_name, "policy_sha256": self.policy_sha256,
                "as_of": self.as_of.isoformat(), "status": self.status,
                "outcome": self.outcome, "requested_at": self.requested_at,
                "processed_at": self.processed_at, "parent_pres_ex_id": self.parent_pres_ex_id}


class CaseStore:
    """The verifier tables in the agency database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate(MODULE, MIGRATIONS)

    # ------------------------------------------------------------ cases

    def ensure_case(self, tx: Transaction, case_ref: str, *, workflow: str | None,
                    connection_id: str | None, origin: str) -> dict[str, Any]:
        stamp = now_iso()
        tx.execute(
            "INSERT INTO verifier_cases (case_ref, workflow, connection_id, origin, status,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?)"
            " ON CONFLICT (case_ref) DO NOTHING",
            (case_ref, workflow, connection_id, origin, stamp, stamp))
        row = tx.fetchone("SELECT * FROM verifier_cases WHERE case_ref = ?", (case_ref,))
        assert row is not None
        if connection_id and not row["connection_id"]:
            tx.execute("UPDATE verifier_cases SET connection_id = ?, updated_at = ?"
                       " WHERE case_ref = ?", (connection_id, stamp, case_ref))
            row["connection_id"] = connection_id
        if workflow and not row["workflow"]:
            tx.execute("UPDATE verifier_cases SET workflow = ? WHERE case_ref = ?",
                       (workflow, case_ref))
            row["workflow"] = workflow
        return row

    def get_case(self, case_ref: str) -> dict[str, Any]:
        row = self.db.fetchone("SELECT * FROM verifier_cases WHERE case_ref = ?", (case_ref,))
        if row is None:
            raise NotFoundError(f"no case {case_ref}")
        return row

    def case_for_connection(self, connection_id: str) -> dict[str, Any] | None:
        return self.db.fetchone(
            "SELECT * FROM verifier_cases WHERE connection_id = ?"
            " ORDER BY created_at DESC, case_ref", (connection_id,))

    def set_case_status(self, tx: Transaction, case_ref: str, status: str) -> None:
        tx.execute("UPDATE verifier_cases SET status = ?, updated_at = ? WHERE case_ref = ?",
                   (status, now_iso(), case_ref))

    def list_cases(self) -> list[dict[str, Any]]:
        return self.db.fetchall("SELECT * FROM verifier_cases ORDER BY created_at, case_ref")

    # ------------------------------------------------------------ invitations

    def add_invitation(self, case_ref: str, invi_msg_id: str, *, workflow: str | None,
                       policy_path: str | None) -> None:
        with self.db.transaction() as tx:
            self.ensure_case(tx, case_ref, workflow=workflow, connection_id=None,
                             origin="invitation")
            tx.execute(
                "INSERT INTO verifier_invitations (invi_msg_id, case_ref, policy_path,"
                " created_at) VALUES (?, ?, ?, ?)",
                (invi_msg_id, case_ref, policy_path, now_iso()))

    def invitation(self, invi_msg_id: str) -> dict[str, Any] | None:
        return self.db.fetchone("SELECT * FROM verifier_invitations WHERE invi_msg_id = ?",
                                (invi_msg_id,))

    def add_scheme_invitation(self, invi_msg_id: str, *, case_prefix: str,
                              workflow: str | None, policy_path: str | None) -> None:
        self.db.execute(
            "INSERT INTO verifier_scheme_invitations (invi_msg_id, case_prefix, workflow,"
            " policy_path, created_at) VALUES (?, ?, ?, ?, ?)",
            (invi_msg_id, case_prefix, workflow, policy_path, now_iso()))

    def scheme_invitation(self, invi_msg_id: str) -> dict[str, Any] | None:
        return self.db.fetchone(
            "SELECT * FROM verifier_scheme_invitations WHERE invi_msg_id = ?", (invi_msg_id,))

    def cases_of_invitation(self, invi_msg_id: str) -> list[dict[str, Any]]:
        """The cases opened by connections made through a scheme invitation, oldest first."""
        return self.db.fetchall(
            "SELECT c.* FROM verifier_connection_cases l JOIN verifier_cases c"
            " ON c.case_ref = l.case_ref WHERE l.invi_msg_id = ?"
            " ORDER BY l.created_at, c.case_ref", (invi_msg_id,))

    def link_connection(self, invi_msg_id: str, connection_id: str) -> dict[str, Any] | None:
        """Link the connection made from an invitation of ours to its case: a case
        invitation's case, or, for a scheme invitation, a new case of its own (one per
        connection, `<prefix>-<connection id>`). Returns the invitation row with
        `case_ref` and `first_request` (True exactly once per connection, for the
        auto-request); None when the invitation is not ours."""
        with self.db.transaction() as tx:
            inv = tx.fetchone("SELECT * FROM verifier_invitations WHERE invi_msg_id = ?",
                              (invi_msg_id,))
            if inv is None:
                return self._link_scheme_connection(tx, invi_msg_id, connection_id)
            tx.execute("UPDATE verifier_invitations SET connection_id = ?"
                       " WHERE invi_msg_id = ?", (connection_id, invi_msg_id))
            tx.execute("UPDATE verifier_cases SET connection_id = ?, updated_at = ?"
                       " WHERE case_ref = ?", (connection_id, now_iso(), inv["case_ref"]))
            claimed = tx.execute("UPDATE verifier_invitations SET requested = 1"
                                 " WHERE invi_msg_id = ? AND requested = 0", (invi_msg_id,))
            inv["connection_id"] = connection_id
            inv["first_request"] = claimed == 1
            return inv

    def _link_scheme_connection(self, tx: Transaction, invi_msg_id: str,
                                connection_id: str) -> dict[str, Any] | None:
        scheme = tx.fetchone("SELECT * FROM verifier_scheme_invitations WHERE invi_msg_id = ?",
                             (invi_msg_id,))
        if scheme is None:
            return None
        case_ref = scheme_case_ref(scheme["case_prefix"], connection_id)
        self.ensure_case(tx, case_ref, workflow=scheme["workflow"],
                         connection_id=connection_id, origin="scheme")
        tx.execute(
            "INSERT INTO verifier_connection_cases (connection_id, invi_msg_id, case_ref,"
            " created_at) VALUES (?, ?, ?, ?) ON CONFLICT (connection_id) DO NOTHING",
            (connection_id, invi_msg_id, case_ref, now_iso()))
        claimed = tx.execute("UPDATE verifier_connection_cases SET requested = 1"
                             " WHERE connection_id = ? AND requested = 0", (connection_id,))
        return {**scheme, "case_ref": case_ref, "connection_id": connection_id,
                "multi_use": True, "first_request": claimed == 1}

    # ------------------------------------------------------------ exchanges

    def add_exchange(self, *, pres_ex_id: str, case_ref: str, connection_id: str,
                     purpose: str, policy_name: str, policy_path: str | None,
                     policy_sha256: str, policy_text: str, request: dict[str, Any],
                     as_of: dt.date, workflow: str, case_origin: str = "connection",
                     parent_pres_ex_id: str | None = None) -> None:
        with self.db.transaction() as tx:
            self.ensure_case(tx, case_ref, workflow=workflow, connection_id=connection_id,
                             origin=case_origin)
            tx.execute(
                "INSERT INTO verifier_exchanges (pres_ex_id, case_ref, connection_id, purpose,"
                " policy_name, policy_path, policy_sha256, policy_text, request_json, as_of,"
                " status, requested_at, parent_pres_ex_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?, ?)",
                (pres_ex_id, case_ref, connection_id, purpose, policy_name, policy_path,
                 policy_sha256, policy_text, dumps(request), as_of.isoformat(), now_iso(),
                 parent_pres_ex_id))

    def get_exchange(self, pres_ex_id: str, tx: Transaction | None = None,
                     *, lock: bool = False) -> Exchange | None:
        sql = "SELECT * FROM verifier_exchanges WHERE pres_ex_id = ?"
        if tx is not None:
            if lock and tx.dialect == "postgresql":
                sql += " FOR UPDATE"
            row = tx.fetchone(sql, (pres_ex_id,))
        else:
            row = self.db.fetchone(sql, (pres_ex_id,))
        return Exchange.from_row(row) if row else None

    def child_of(self, pres_ex_id: str) -> Exchange | None:
        row = self.db.fetchone("SELECT * FROM verifier_exchanges WHERE parent_pres_ex_id = ?",
                               (pres_ex_id,))
        return Exchange.from_row(row) if row else None

    def open_exchanges(self) -> list[Exchange]:
        rows = self.db.fetchall("SELECT * FROM verifier_exchanges WHERE status = 'requested'"
                                " ORDER BY requested_at")
        return [Exchange.from_row(r) for r in rows]

    def exchanges_of(self, case_ref: str) -> list[Exchange]:
        rows = self.db.fetchall("SELECT * FROM verifier_exchanges WHERE case_ref = ?"
                                " ORDER BY requested_at, pres_ex_id", (case_ref,))
        return [Exchange.from_row(r) for r in rows]

    def supersede(self, pres_ex_id: str) -> bool:
        """Close an unanswered exchange that a new request of its case replaces: status
        `superseded`, never decided. False when it was decided (or closed) meanwhile."""
        with self.db.transaction() as tx:
            count = tx.execute(
                "UPDATE verifier_exchanges SET status = 'superseded', outcome = 'superseded',"
                " processed_at = ? WHERE pres_ex_id = ? AND status = 'requested'",
                (now_iso(), pres_ex_id))
        return count == 1

    def mark_processed(self, tx: Transaction, pres_ex_id: str, outcome: str) -> None:
        tx.execute("UPDATE verifier_exchanges SET status = 'processed', outcome = ?,"
                   " processed_at = ? WHERE pres_ex_id = ?", (outcome, now_iso(), pres_ex_id))

    # ------------------------------------------------------------ decisions and records

    def add_decision(self, tx: Transaction, *, pres_ex_id: str, case_ref: str, workflow: str,
                     proof_outcome: str, outcome: str, summary: str,
                     values: dict[str, Any]) -> None:
        tx.execute(
            "INSERT INTO verifier_decisions (pres_ex_id, case_ref, workflow, proof_outcome,"
            " outcome, summary, values_json, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (pres_ex_id, case_ref, workflow, proof_outcome, outcome, summary, dumps(values),
             now_iso()))

    def decision(self, pres_ex_id: str) -> dict[str, Any] | None:
        row = self.db.fetchone("SELECT * FROM verifier_decisions WHERE pres_ex_id = ?",
                               (pres_ex_id,))
        return _decision_json(row) if row else None

    def add_payment(self, tx: Transaction, case_ref: str, month: int, amount_cents: int,
                    pres_ex_id: str) -> bool:
        """Record a payment; False when this case was already paid for that month."""
        count = tx.execute(
            "INSERT INTO verifier_payments (case_ref, month, amount_cents, pres_ex_id,"
            " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_ref, month) DO NOTHING",
            (case_ref, month, amount_cents, pres_ex_id, now_iso()))
        return count == 1

    def add_award(self, tx: Transaction, case_ref: str, scheme: str, amount_cents: int,
                  decision_ref: str, pres_ex_id: str) -> bool:
        count = tx.execute(
            "INSERT INTO verifier_awards (case_ref, scheme, amount_cents, decision_ref,"
            " pres_ex_id, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (case_ref, scheme) DO NOTHING",
            (case_ref, scheme, amount_cents, decision_ref, pres_ex_id, now_iso()))
        return count == 1

    def add_brake_event(self, tx: Transaction, case_ref: str, event: str, reason: str,
                        pres_ex_id: str | None) -> None:
        tx.execute("INSERT INTO verifier_brakes (case_ref, event, reason, pres_ex_id, at)"
                   " VALUES (?, ?, ?, ?, ?)", (case_ref, event, reason, pres_ex_id, now_iso()))

    def brake_active(self, case_ref: str, tx: Transaction | None = None) -> bool:
        sql = ("SELECT event FROM verifier_brakes WHERE case_ref = ? ORDER BY id DESC LIMIT 1")
        row = tx.fetchone(sql, (case_ref,)) if tx else self.db.fetchone(sql, (case_ref,))
        return bool(row) and row["event"] in BRAKE_ACTIVE_EVENTS

    def cases_with_active_brake(self) -> list[str]:
        rows = self.db.fetchall(
            "SELECT b.case_ref, b.event FROM verifier_brakes b JOIN ("
            " SELECT case_ref, MAX(id) AS last FROM verifier_brakes GROUP BY case_ref) m"
            " ON b.id = m.last ORDER BY b.case_ref")
        return [r["case_ref"] for r in rows if r["event"] in BRAKE_ACTIVE_EVENTS]

    def add_audit(self, tx: Transaction, *, pres_ex_id: str, case_ref: str, policy_name: str,
                  policy_sha256: str, proof_outcome: str, outcome: str,
                  learned: dict[str, Any], problems: list[str], issuers: list[str]) -> None:
        tx.execute(
            "INSERT INTO verifier_audit (pres_ex_id, case_ref, policy_name, policy_sha256,"
            " proof_outcome, outcome, learned_json, problems_json, issuers_json, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pres_ex_id, case_ref, policy_name, policy_sha256, proof_outcome, outcome,
             dumps(learned), dumps(problems), dumps(issuers), now_iso()))

    # ------------------------------------------------------------ the outbox

    def add_action(self, tx: Transaction, pres_ex_id: str, seq: int, kind: str,
                   spec: dict[str, Any], connection_id: str | None) -> None:
        tx.execute(
            "INSERT INTO verifier_actions (pres_ex_id, seq, kind, spec_json, connection_id,"
            " status, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (pres_ex_id, seq, kind, dumps(spec), connection_id, now_iso()))

    def claim_actions(self, pres_ex_id: str | None = None) -> list[dict[str, Any]]:
        """Pending actions (of one exchange, or all), each claimed for this process."""
        sql = "SELECT * FROM verifier_actions WHERE status = 'pending'"
        params: tuple[Any, ...] = ()
        if pres_ex_id is not None:
            sql += " AND pres_ex_id = ?"
            params = (pres_ex_id,)
        claimed = []
        me = claimant()
        for row in self.db.fetchall(sql + " ORDER BY id", params):
            with self.db.transaction() as tx:
                got = tx.execute(
                    "UPDATE verifier_actions SET status = 'running', claimed_by = ?,"
                    " attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'pending'",
                    (me, now_iso(), row["id"]))
            if got == 1:
                row["spec"] = loads(row["spec_json"])
                claimed.append(row)
        return claimed

    def finish_action(self, action_id: int, *, ok: bool, result: Any = None,
                      error: str | None = None, retry: bool = True) -> None:
        status = "done" if ok else ("pending" if retry else "failed")
        self.db.execute(
            "UPDATE verifier_actions SET status = ?, result_json = ?, last_error = ?,"
            " claimed_by = NULL, updated_at = ? WHERE id = ?",
            (status, dumps(result) if result is not None else None, error, now_iso(),
             action_id))

    def release_abandoned_actions(self) -> int:
        """Actions left 'running' by a process that is gone go back to pending."""
        rows = self.db.fetchall("SELECT id, claimed_by FROM verifier_actions"
                                " WHERE status = 'running'")
        released = 0
        for row in rows:
            if not _claimant_alive(row["claimed_by"]):
                released += self.db.execute(
                    "UPDATE verifier_actions SET status = 'pending', claimed_by = NULL"
                    " WHERE id = ? AND status = 'running'", (row["id"],))
        return released

    def actions_of(self, pres_ex_id: str) -> list[dict[str, Any]]:
        rows = self.db.fetchall("SELECT * FROM verifier_actions WHERE pres_ex_id = ?"
                                " ORDER BY seq", (pres_ex_id,))
        return [{"seq": r["seq"], "kind": r["kind"], "status": r["status"],
                 "attempts": r["attempts"], "last_error": r["last_error"],
                 "result": loads(r["result_json"])} for r in rows]

    # ------------------------------------------------------------ reading for people

    def case_summary(self, case_ref: str) -> dict[str, Any]:
        case = self.get_case(case_ref)
        payments = self.db.fetchall(
            "SELECT month, amount_cents, pres_ex_id, created_at FROM verifier_payments"
            " WHERE case_ref = ? ORDER BY month", (case_ref,))
        awards = self.db.fetchall(
            "SELECT scheme, amount_cents, decision_ref, pres_ex_id, created_at"
            " FROM verifier_awards WHERE case_ref = ? ORDER BY id", (case_ref,))
        brakes = self.db.fetchall(
            "SELECT event, reason, pres_ex_id, at FROM verifier_brakes WHERE case_ref = ?"
            " ORDER BY id", (case_ref,))
        decisions = [_decision_json(r) for r in self.db.fetchall(
            "SELECT * FROM verifier_decisions WHERE case_ref = ? ORDER BY id", (case_ref,))]
        audit = [_audit_json(r) for r in self.db.fetchall(
            "SELECT * FROM verifier_audit WHERE case_ref = ? ORDER BY id", (case_ref,))]
        return {
            "case_ref": case["case_ref"], "workflow": case["workflow"],
            "connection_id": case["connection_id"], "origin": case["origin"],
            "status": case["status"], "created_at": case["created_at"],
            "updated_at": case["updated_at"],
            "brake_active": bool(brakes) and brakes[-1]["event"] in BRAKE_ACTIVE_EVENTS,
            "exchanges": [e.to_json() for e in self.exchanges_of(case_ref)],
            "decisions": decisions,
            "payments": payments,
            "awards": awards,
            "brakes": brakes,
            "audit": audit,
        }

    def audit_of(self, pres_ex_id: str) -> dict[str, Any] | None:
        row = self.db.fetchone("SELECT * FROM verifier_audit WHERE pres_ex_id = ?",
                               (pres_ex_id,))
        return _audit_json(row) if row else None

    def payments_count(self, case_ref: str | None = None) -> int:
        if case_ref is None:
            return int(self.db.fetchone("SELECT COUNT(*) AS n FROM verifier_payments")["n"])
        return int(self.db.fetchone("SELECT COUNT(*) AS n FROM verifier_payments"
                                    " WHERE case_ref = ?", (case_ref,))["n"])


def _decision_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"pres_ex_id": row["pres_ex_id"], "case_ref": row["case_ref"],
            "workflow": row["workflow"], "proof_outcome": row["proof_outcome"],
            "outcome": row["outcome"], "summary": row["summary"],
            "values": loads(row["values_json"]), "decided_at": row["decided_at"]}


def _audit_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"pres_ex_id": row["pres_ex_id"], "case_ref": row["case_ref"],
            "policy": row["policy_name"], "policy_sha256": row["policy_sha256"],
            "proof_outcome": row["proof_outcome"], "outcome": row["outcome"],
            "learned": loads(row["learned_json"]), "problems": loads(row["problems_json"]),
            "issuers": loads(row["issuers_json"]), "at": row["at"]}


def claimant() -> str:
    """This process, as recorded on claimed actions: `pid:starttime`."""
    pid = os.getpid()
    return f"{pid}:{_start_ticks(pid)}"


def _start_ticks(pid: int) -> str:
    from ssi_wallet.agent.running import start_ticks

    ticks = start_ticks(pid)
    return "?" if ticks is None else str(ticks)


def _claimant_alive(claimed_by: str | None) -> bool:
    if not claimed_by:
        return False
    pid_text, _, ticks = claimed_by.partition(":")
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    current = _start_ticks(pid)
    return current != "?" and current == ticks


_stores: dict[tuple[str, int], CaseStore] = {}


def open_case_store(config: AgencyConfig) -> CaseStore:
    """The agency's case store (migrated on first open in this process)."""
    from ssi_wallet.agency.db import agency_database_url, open_agency_database

    key = (agency_database_url(config), os.getpid())
    store = _stores.get(key)
    if store is None:
        store = CaseStore(open_agency_database(config))
        _stores[key] = store
    return store
