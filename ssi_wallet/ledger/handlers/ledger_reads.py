"""GET_TXN and the transaction author agreement reads (this ledger requires no TAA)."""

from __future__ import annotations

from .base import READS, LedgerView, Nack, read_result


def _get_txn(view: LedgerView, req: dict) -> dict:
    op = req["operation"]
    ledger_id = op.get("ledgerId", 1)
    seq_no = op.get("data")
    if not isinstance(ledger_id, int) or ledger_id not in (0, 1, 2, 3):
        raise Nack(f"Invalid ledger id {ledger_id}")
    if not isinstance(seq_no, int) or isinstance(seq_no, bool):
        raise Nack("GET_TXN data must be a sequence number")
    if seq_no < 1:
        raise Nack(f"Invalid sequence number: {seq_no} is smaller than 1")
    txn = view.get_txn(ledger_id, seq_no)
    if txn is None:
        return read_result(req, None)
    return read_result(req, txn, seq_no, txn.get("txnMetadata", {}).get("txnTime"))


def _no_taa(view: LedgerView, req: dict) -> dict:
    return read_result(req, None)


READS["3"] = _get_txn
READS["6"] = _no_taa  # GET_TXN_AUTHR_AGRMT
READS["7"] = _no_taa  # GET_TXN_AUTHR_AGRMT_AML
