"""Domain state: what the reads answer from, derived only from the transaction log.

``apply`` is the one place a transaction changes state; start-up replays the log
through it, so the state after a restart is the state before it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

NYM, ATTRIB, SCHEMA, CLAIM_DEF, REVOC_REG_DEF, REVOC_REG_ENTRY = (
    "1",
    "100",
    "101",
    "102",
    "113",
    "114",
)


@dataclass
class NymRecord:
    did: str
    verkey: str | None
    role: str | None
    creator: str | None
    seq_no: int
    txn_time: int | None


@dataclass
class Entry:
    """A value written at a point of the ledger."""

    value: Any
    seq_no: int
    txn_time: int | None
    author: str | None = None


@dataclass
class RevocEntry:
    seq_no: int
    txn_time: int
    accum: str
    issued: list[int]
    revoked: list[int]


@dataclass
class DomainState:
    nyms: dict[str, NymRecord] = field(default_factory=dict)
    attribs: dict[tuple[str, str], Entry] = field(default_factory=dict)
    schemas: dict[str, Entry] = field(default_factory=dict)
    claim_defs: dict[str, Entry] = field(default_factory=dict)
    revoc_defs: dict[str, Entry] = field(default_factory=dict)
    revoc_entries: dict[str, list[RevocEntry]] = field(default_factory=dict)
    types_by_seq: dict[int, str] = field(default_factory=dict)
    schema_by_seq: dict[int, str] = field(default_factory=dict)

    def role_of(self, did: str) -> str | None:
        """None when the DID is not on the ledger, '' when it has no role."""
        rec = self.nyms.get(did)
        if rec is None:
            return None
        return rec.role or ""

    def verkey_of(self, did: str) -> str | None:
        rec = self.nyms.get(did)
        return rec.verkey if rec else None

    def owner_of_nym(self, did: str) -> str | None:
        """The DID itself if it has a verkey, else whoever created it (a guardian)."""
        rec = self.nyms.get(did)
        if rec is None:
            return None
        return did if rec.verkey else rec.creator

    def apply(self, txn: dict) -> None:
        """Apply one ledger transaction (plenum txn format version 1)."""
        body = txn["txn"]
        ttype = body["type"]
        data = body.get("data", {})
        meta = body.get("metadata", {})
        author = meta.get("from")
        seq_no = txn["txnMetadata"]["seqNo"]
        when = txn["txnMetadata"].get("txnTime")
        self.types_by_seq[seq_no] = ttype
        if ttype == NYM:
            did = data["dest"]
            rec = self.nyms.get(did)
            if rec is None:
                rec = NymRecord(did, None, None, author, seq_no, when)
                self.nyms[did] = rec
            if "verkey" in data:
                rec.verkey = data["verkey"]
            if "role" in data:
                rec.role = data["role"] or None
            rec.seq_no, rec.txn_time = seq_no, when
        elif ttype == ATTRIB:
            did = data["dest"]
            if "raw" in data:
                key = next(iter(json.loads(data["raw"])))
                self.attribs[(did, key)] = Entry(("raw", data["raw"]), seq_no, when, author)
            elif "hash" in data:
                self.attribs[(did, data["hash"])] = Entry(
                    ("hash", data["hash"]), seq_no, when, author
                )
            elif "enc" in data:
                key = hashlib.sha256(data["enc"].encode()).hexdigest()
                self.attribs[(did, key)] = Entry(("enc", data["enc"]), seq_no, when, author)
        elif ttype == SCHEMA:
            d = data["data"]
            sid = f"{author}:2:{d['name']}:{d['version']}"
            self.schemas[sid] = Entry(d, seq_no, when, author)
            self.schema_by_seq[seq_no] = sid
        elif ttype == CLAIM_DEF:
            cid = claim_def_id(author, data["signature_type"], data["ref"], data.get("tag", "tag"))
            self.claim_defs[cid] = Entry(data, seq_no, when, author)
        elif ttype == REVOC_REG_DEF:
            self.revoc_defs[data["id"]] = Entry(data, seq_no, when, author)
        elif ttype == REVOC_REG_ENTRY:
            value = data.get("value", {})
            self.revoc_entries.setdefault(data["revocRegDefId"], []).append(
                RevocEntry(
                    seq_no,
                    when or 0,
                    value.get("accum"),
                    list(value.get("issued") or []),
                    list(value.get("revoked") or []),
                )
            )

    def revoc_entry_at(self, rev_reg_id: str, timestamp: int) -> RevocEntry | None:
        """Latest entry written at or before ``timestamp``."""
        found = None
        for e in self.revoc_entries.get(rev_reg_id, []):
            if e.txn_time <= timestamp:
                found = e
            else:
                break
        return found

    def revoc_sets_at(self, rev_reg_id: str, seq_no: int | None) -> tuple[set[int], set[int]]:
        """Issued and revoked indices after applying entries up to ``seq_no`` (None: none)."""
        issued: set[int] = set()
        revoked: set[int] = set()
        if seq_no is None:
            return issued, revoked
        for e in self.revoc_entries.get(rev_reg_id, []):
            if e.seq_no > seq_no:
                break
            for i in e.issued:
                issued.add(i)
                revoked.discard(i)
            for r in e.revoked:
                revoked.add(r)
                issued.discard(r)
        return issued, revoked


def claim_def_id(origin: str, signature_type: str, ref: Any, tag: str) -> str:
    return f"{origin}:3:{signature_type}:{ref}:{tag}"
