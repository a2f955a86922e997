"""The issued store's record of a re-offer (SQLite and PostgreSQL): a batch row whose
exchange was abandoned is counted and noted once per re-offer, and only then."""

from __future__ import annotations

from pathlib import Path

from ssi_wallet.agency.db import Database
from ssi_wallet.agency.issued_store import IssuedStore


def _check(db: Database) -> None:
    store = IssuedStore(db, "employer")
    row, claimed = store.claim_row(row_key="k", connection_id="c", type_name="T",
                                   cred_def_id="d", batch="oct.csv", line=2)
    assert claimed and row.reoffers == 0 and row.history is None
    store.set_sent(row.id, "x1", "credential-issued")
    store.update_state("x1", "abandoned")
    store.reclaim(row.id, connection_id="c", cred_def_id="d", batch="oct.csv", line=2,
                  ended=("x1", "abandoned"))
    again = store.by_row_key("k")
    assert again.state == "sending" and again.cred_ex_id is None and again.reoffers == 1
    assert again.history.endswith(" x1 abandoned -> re-offered\n")
    # A row left `sending` by a crash is sent again without being a re-offer.
    store.reclaim(row.id, connection_id="c", cred_def_id="d", batch="oct.csv", line=2)
    assert store.by_row_key("k").reoffers == 1


def test_reoffer_sqlite(tmp_path: Path) -> None:
    _check(Database(tmp_path / "agency.db"))


def test_reoffer_postgres(postgres_database: str) -> None:
    _check(Database(postgres_database))
