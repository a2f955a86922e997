"""The issuer's records in the agency database (`ssi_wallet.agency.db`).

Three tables, every row keyed by agency name too (several agencies may share one
PostgreSQL database):

- `issuer_schemas`: schemas this agency published (name+version -> schema id).
- `issuer_creddefs`: its credential definitions (schema, tag, revocable -> id), created
  once and reused across runs.
- `issued_credentials`: one row per credential offered: the exchange id, connection,
  type, state, revocation ids, and for batch rows a stable `row_key` (UNIQUE per
  agency) that makes `issue-batch` idempotent. Attribute values are NOT stored: the
  citizen holds them; the agency keeps only what it needs to revoke and to not issue
  twice.

Batch idempotency: a row is claimed (`claim_row`, state `sending`) in a committed
transaction BEFORE the offer goes out, and the offer carries the row key in its
comment. A crash between the two leaves a `sending` row; the next run looks for an
exchange with that comment before sending again (`ssi_wallet.agency.batch`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ssi_wallet.agency.db import Database

MODULE = "issued_store"
MIGRATIONS = [
    """
    CREATE TABLE issuer_schemas (
        agency TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        schema_id TEXT NOT NULL,
        attributes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (agency, name, version)
    );
    CREATE TABLE issuer_creddefs (
        agency TEXT NOT NULL,
        schema_id TEXT NOT NULL,
        tag TEXT NOT NULL,
        revocable INTEGER NOT NULL,
        cred_def_id TEXT NOT NULL,
        registry_size INTEGER,
        type_name TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (agency, schema_id, tag, revocable)
    );
    CREATE TABLE issued_credentials (
        id {autoid},
        agency TEXT NOT NULL,
        row_key TEXT,
        cred_ex_id TEXT,
        connection_id TEXT NOT NULL,
        type_name TEXT NOT NULL,
        cred_def_id TEXT NOT NULL,
        state TEXT NOT NULL,
        rev_reg_id TEXT,
        cred_rev_id TEXT,
        revocation TEXT,
        batch TEXT,
        line INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX issued_row_key ON issued_credentials (agency, row_key);
    CREATE UNIQUE INDEX issued_cred_ex ON issued_credentials (agency, cred_ex_id);
    CREATE INDEX issued_state ON issued_credentials (agency, state)
    """,
    # A batch row whose exchange ended without a credential (abandoned by the wallet
    # after a lost message, declined, ...) is offered again: count it and say why.
    "ALTER TABLE issued_credentials ADD COLUMN reoffers INTEGER NOT NULL DEFAULT 0;"
    " ALTER TABLE issued_credentials ADD COLUMN history TEXT",
]

#: Issuer-side states after which the holder has (or can have) the credential
#: (ACA-Py moves an exchange to credential-revoked once its revocation is published).
ISSUED_STATES = ("credential-issued", "done", "credential-revoked")
#: States that end an exchange without a credential.
FAILED_STATES = ("abandoned", "deleted", "declined", "failed")
#: Issued but not acknowledged by the holder: the credential may have been lost on the
#: way, and the wallet may still abandon the exchange (the record then goes `abandoned`).
UNACKNOWLEDGED = "credential-issued"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class IssuedRow:
    id: int
    agency: str
    row_key: str | None
    cred_ex_id: str | None
    connection_id: str
    type_name: str
    cred_def_id: str
    state: str
    rev_reg_id: str | None
    cred_rev_id: str | None
    revocation: str | None  # None, "pending" or "revoked"
    batch: str | None
    line: int | None
    error: str | None
    created_at: str
    updated_at: str
    reoffers: int = 0
    history: str | None = None  # per re-offer: "<stamp> <cred_ex_id> <state> -> re-offered"

    @property
    def issued(self) -> bool:
        return self.state in ISSUED_STATES

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class IssuedStore:
    """The issuer tables of one agency."""

    def __init__(self, db: Database, agency: str) -> None:
        self.db = db
        self.agency = agency
        db.migrate(MODULE, MIGRATIONS)

    # -- schemas and credential definitions ----------------------------------------
    def schema(self, name: str, version: str) -> dict[str, Any] | None:
        return self.db.fetchone(
            "SELECT * FROM issuer_schemas WHERE agency = ? AND name = ? AND version = ?",
            (self.agency, name, version),
        )

    def put_schema(self, name: str, version: str, schema_id: str, attributes: list[str]) -> None:
        import json

        self.db.execute(
            "INSERT INTO issuer_schemas (agency, name, version, schema_id, attributes,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agency, name, version)"
            " DO UPDATE SET schema_id = excluded.schema_id, attributes = excluded.attributes",
            (self.agency, name, version, schema_id, json.dumps(attributes), now()),
        )

    def schemas(self) -> list[dict[str, Any]]:
        return self.db.fetchall(
            "SELECT * FROM issuer_schemas WHERE agency = ? ORDER BY created_at, name",
            (self.agency,),
        )

    def creddef(self, schema_id: str, tag: str, revocable: bool) -> dict[str, Any] | None:
        return self.db.fetchone(
            "SELECT * FROM issuer_creddefs WHERE agency = ? AND schema_id = ? AND tag = ?"
            " AND revocable = ?",
            (self.agency, schema_id, tag, int(revocable)),
        )

    def put_creddef(
        self,
        schema_id: str,
        tag: str,
        revocable: bool,
        cred_def_id: str,
        registry_size: int | None,
        type_name: str | None,
    ) -> None:
        self.db.execute(
            "INSERT INTO issuer_creddefs (agency, schema_id, tag, revocable, cred_def_id,"
            " registry_size, type_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (agency, schema_id, tag, revocable)"
            " DO UPDATE SET cred_def_id = excluded.cred_def_id",
            (
                self.agency,
                schema_id,
                tag,
                int(revocable),
                cred_def_id,
                registry_size,
                type_name,
                now(),
            ),
        )

    def creddefs(self, schema_id: str | None = None) -> list[dict[str, Any]]:
        if schema_id is None:
            return self.db.fetchall(
                "SELECT * FROM issuer_creddefs WHERE agency = ? ORDER BY created_at", (self.agency,)
            )
        return self.db.fetchall(
            "SELECT * FROM issuer_creddefs WHERE agency = ? AND schema_id = ? ORDER BY created_at",
            (self.agency, schema_id),
        )

    # -- issued credentials --------------------------------------------------------
    def add(
        self, *, cred_ex_id: str, connection_id: str, type_name: str, cred_def_id: str, state: str
    ) -> IssuedRow:
        stamp = now()
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO issued_credentials (agency, cred_ex_id, connection_id, type_name,"
                " cred_def_id, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (
                    self.agency,
                    cred_ex_id,
                    connection_id,
                    type_name,
                    cred_def_id,
                    state,
                    stamp,
                    stamp,
                ),
            )
            row = tx.fetchone(
                "SELECT * FROM issued_credentials WHERE agency = ? AND cred_ex_id = ?",
                (self.agency, cred_ex_id),
            )
        assert row is not None
        return IssuedRow(**row)

    def claim_row(
        self,
        *,
        row_key: str,
        connection_id: str,
        type_name: str,
        cred_def_id: str,
        batch: str | None,
        line: int | None,
    ) -> tuple[IssuedRow, bool]:
        """Claim a batch row before its offer is sent: `(row, claimed_now)`. When the key
        is known already, nothing changes and the existing row comes back."""
        stamp = now()
        with self.db.transaction() as tx:
            count = tx.execute(
                "INSERT INTO issued_credentials (agency, row_key, connection_id, type_name,"
                " cred_def_id, state, batch, line, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'sending', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    self.agency,
                    row_key,
                    connection_id,
                    type_name,
                    cred_def_id,
                    batch,
                    line,
                    stamp,
                    stamp,
                ),
            )
            row = tx.fetchone(
                "SELECT * FROM issued_credentials WHERE agency = ? AND row_key = ?",
                (self.agency, row_key),
            )
        assert row is not None
        return IssuedRow(**row), count == 1

    def reclaim(
        self,
        row_id: int,
        *,
        connection_id: str,
        cred_def_id: str,
        batch: str | None,
        line: int | None,
        ended: tuple[str, str] | None = None,
    ) -> None:
        """A row whose earlier exchange failed is sent again: back to `sending`. With
        `ended` (its exchange id and final state), the re-offer is counted and noted in
        `history`, so the store shows e.g. `abandoned -> re-offered`."""
        stamp = now()
        note = f"{stamp} {ended[0]} {ended[1]} -> re-offered\n" if ended else ""
        self.db.execute(
            "UPDATE issued_credentials SET state = 'sending', cred_ex_id = NULL, error = NULL,"
            " connection_id = ?, cred_def_id = ?, batch = ?, line = ?, rev_reg_id = NULL,"
            " cred_rev_id = NULL, revocation = NULL, reoffers = reoffers + ?,"
            " history = COALESCE(history, '') || ?, updated_at = ? WHERE id = ?",
            (connection_id, cred_def_id, batch, line, int(bool(ended)), note, stamp, row_id),
        )

    def set_sent(self, row_id: int, cred_ex_id: str, state: str) -> None:
        self.db.execute(
            "UPDATE issued_credentials SET cred_ex_id = ?, state = ?, error = NULL,"
            " updated_at = ? WHERE id = ?",
            (cred_ex_id, state, now(), row_id),
        )

    def set_failed(self, row_id: int, error: str) -> None:
        self.db.execute(
            "UPDATE issued_credentials SET state = 'failed', error = ?, updated_at = ?"
            " WHERE id = ?",
            (error[:500], now(), row_id),
        )

    def update_state(
        self,
        cred_ex_id: str,
        state: str,
        *,
        rev_reg_id: str | None = None,
        cred_rev_id: str | None = None,
    ) -> None:
        self.db.execute(
            "UPDATE issued_credentials SET state = ?, rev_reg_id = COALESCE(?, rev_reg_id),"
            " cred_rev_id = COALESCE(?, cred_rev_id), updated_at = ?"
            " WHERE agency = ? AND cred_ex_id = ?",
            (state, rev_reg_id, cred_rev_id, now(), self.agency, cred_ex_id),
        )

    def set_revocation(self, cred_ex_id: str, revocation: str) -> None:
        self.db.execute(
            "UPDATE issued_credentials SET revocation = ?, updated_at = ?"
            " WHERE agency = ? AND cred_ex_id = ?",
            (revocation, now(), self.agency, cred_ex_id),
        )

    def publish_pending(self) -> list[str]:
        with self.db.transaction() as tx:
            rows = tx.fetchall(
                "SELECT cred_ex_id FROM issued_credentials WHERE agency = ?"
                " AND revocation = 'pending'",
                (self.agency,),
            )
            tx.execute(
                "UPDATE issued_credentials SET revocation = 'revoked', updated_at = ?"
                " WHERE agency = ? AND revocation = 'pending'",
                (now(), self.agency),
            )
        return [r["cred_ex_id"] for r in rows]

    def get(self, cred_ex_id: str) -> IssuedRow | None:
        row = self.db.fetchone(
            "SELECT * FROM issued_credentials WHERE agency = ? AND cred_ex_id = ?",
            (self.agency, cred_ex_id),
        )
        return IssuedRow(**row) if row else None

    def by_row_key(self, row_key: str) -> IssuedRow | None:
        row = self.db.fetchone(
            "SELECT * FROM issued_credentials WHERE agency = ? AND row_key = ?",
            (self.agency, row_key),
        )
        return IssuedRow(**row) if row else None

    def list(self, *, state: str | None = None, batch: str | None = None) -> list[IssuedRow]:
        sql = "SELECT * FROM issued_credentials WHERE agency = ?"
        params: list[Any] = [self.agency]
        if state:
            sql += " AND state = ?"
            params.append(state)
        if batch:
            sql += " AND batch = ?"
            params.append(batch)
        return [IssuedRow(**r) for r in self.db.fetchall(sql + " ORDER BY id", params)]

    def count(self, state: str | None = None) -> int:
        return len(self.list(state=state))


def open_issued_store(config: Any) -> IssuedStore:
    from ssi_wallet.agency.db import open_agency_database

    return IssuedStore(open_agency_database(config), config.name)
