"""The shared agency database layer on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest

from ssi_wallet.agency.db import Database, redact_url

MIGRATIONS = [
    "CREATE TABLE t (id {autoid}, k TEXT NOT NULL UNIQUE, j {json}); CREATE INDEX t_k ON t (k)",
    "ALTER TABLE t ADD COLUMN n {bigint}",
]


def _exercise(db: Database) -> None:
    assert db.migrate("smoke", MIGRATIONS) == 2
    assert db.migrate("smoke", MIGRATIONS) == 0
    assert db.applied_versions("smoke") == [1, 2]
    assert db.migrate("smoke", [*MIGRATIONS, "CREATE INDEX t_n ON t (n)"]) == 1
    with db.transaction() as tx:
        for _ in range(2):
            tx.execute(
                "INSERT INTO t (k, j, n) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                ("a", '{"x": 1}', 5),
            )
    rows = db.fetchall("SELECT k, j, n FROM t")
    assert [(r["k"], Database.load_json(r["j"]), r["n"]) for r in rows] == [("a", {"x": 1}, 5)]
    with pytest.raises(Exception) as caught:
        with db.transaction() as tx:
            tx.execute("INSERT INTO t (k) VALUES (?)", ("b",))
            tx.execute("INSERT INTO t (k) VALUES (?)", ("a",))
    assert Database.is_unique_violation(caught.value)
    assert [r["k"] for r in db.fetchall("SELECT k FROM t")] == ["a"]  # rolled back
    with db.transaction() as tx:
        new_id = tx.scalar("INSERT INTO t (k) VALUES (?) RETURNING id", ("c",))
    assert isinstance(new_id, int) and new_id > 1

    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for j in range(20):
                with db.transaction() as tx:
                    tx.execute("INSERT INTO t (k, n) VALUES (?, ?)", (f"w{i}-{j}", j))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert db.fetchone("SELECT COUNT(*) AS c FROM t")["c"] == 82


def test_sqlite(tmp_path):
    db = Database(tmp_path / "agency.db")
    try:
        _exercise(db)
        mode = db.fetchone("PRAGMA journal_mode")
        assert next(iter(mode.values())) == "wal"
    finally:
        db.close()
    assert (tmp_path / "agency.db").stat().st_mode & 0o077 == 0


def test_postgres(postgres_database):
    db = Database(postgres_database)
    try:
        _exercise(db)
    finally:
        db.close()


def test_redact_url():
    assert redact_url("postgresql://u:secret@127.0.0.1:5/db") == "postgresql://u:***@127.0.0.1:5/db"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
