"""Durable transaction log in SQLite (WAL).

The log is the single source of truth: state is rebuilt by replaying it at start-up.
Each accepted write is committed (with the reply it produced) before that reply leaves
the process, so a crash loses at most a write nobody was told about.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS txns (
    ledger_id INTEGER NOT NULL,
    seq_no INTEGER NOT NULL,
    type TEXT NOT NULL,
    txn_id TEXT,
    txn_time INTEGER,
    req_key TEXT,
    txn TEXT NOT NULL,
    reply TEXT,
    PRIMARY KEY (ledger_id, seq_no)
);
CREATE UNIQUE INDEX IF NOT EXISTS txns_req_key ON txns(req_key) WHERE req_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS txns_txn_id ON txns(txn_id);
CREATE INDEX IF NOT EXISTS txns_type ON txns(type);
"""


@dataclass(frozen=True)
class StoredTxn:
    ledger_id: int
    seq_no: int
    type: str
    txn_id: str | None
    txn_time: int | None
    txn: str


def connect(path: Path, synchronous: str = "FULL", readonly: bool = False) -> sqlite3.Connection:
    """Open the ledger database; WAL lets readers (CLI, tails server) run beside the writer."""
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.executescript(SCHEMA_SQL)
    return conn


class TxnStore:
    """Append-only ledgers keyed by (ledger_id, seq_no)."""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.path = path
        self.conn = connect(path, synchronous)

    def close(self) -> None:
        self.conn.close()

    def iter_ledger(self, ledger_id: int) -> Iterator[StoredTxn]:
        cur = self.conn.execute(
            "SELECT ledger_id, seq_no, type, txn_id, txn_time, txn FROM txns"
            " WHERE ledger_id=? ORDER BY seq_no",
            (ledger_id,),
        )
        for row in cur:
            yield StoredTxn(*row)

    def append(
        self,
        ledger_id: int,
        seq_no: int,
        txn_type: str,
        txn_id: str | None,
        txn_time: int | None,
        req_key: str | None,
        txn: str,
        reply: str | None,
    ) -> None:
        """Insert one transaction and commit it durably before returning."""
        with self.conn:  # BEGIN ... COMMIT
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT INTO txns (ledger_id, seq_no, type, txn_id, txn_time, req_key, txn, reply)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (ledger_id, seq_no, txn_type, txn_id, txn_time, req_key, txn, reply),
            )

    def reply_for(self, req_key: str) -> str | None:
        """The stored reply of an already ordered request (a client retry gets the same answer)."""
        row = self.conn.execute("SELECT reply FROM txns WHERE req_key=?", (req_key,)).fetchone()
        return row[0] if row else None


def count_txns(path: Path, ledger_id: int = 1) -> int:
    """Number of transactions in a ledger, read without disturbing a running server."""
    conn = connect(path, readonly=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM txns WHERE ledger_id=?", (ledger_id,)).fetchone()[
            0
        ]
    finally:
        conn.close()


def list_txns(path: Path, types: list[str] | None = None, ledger_id: int = 1) -> list[StoredTxn]:
    """Transactions (optionally of some types) for browsing."""
    conn = connect(path, readonly=True)
    try:
        sql = "SELECT ledger_id, seq_no, type, txn_id, txn_time, txn FROM txns WHERE ledger_id=?"
        args: list = [ledger_id]
        if types:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            args += types
        sql += " ORDER BY seq_no"
        return [StoredTxn(*r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def find_txn_by_id(conn: sqlite3.Connection, txn_type: str, txn_id: str) -> str | None:
    """Latest transaction JSON of a type with this txnId (used by the tails server)."""
    row = conn.execute(
        "SELECT txn FROM txns WHERE ledger_id=1 AND type=? AND txn_id=?"
        " ORDER BY seq_no DESC LIMIT 1",
        (txn_type, txn_id),
    ).fetchone()
    return row[0] if row else None
