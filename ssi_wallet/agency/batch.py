"""`issuer issue-batch FILE.csv`: one credential per CSV row, concurrent and idempotent.

The file: a header row, then one row per credential.

    connection_id,row_id,month,net_income_cents,gross_income_cents,...
    5f0c...,2026-10/E-1001,2026-10,1234.00 EUR,1600.00 EUR,...

- `connection_id` (required): the agency's connection to the citizen. Several rows may
  name the same connection (a citizen can get several credentials, e.g. one per month).
- every attribute of the credential type (required), values as people write them
  (`1234.00 EUR`, `2026-10-31`; raw cents and YYYYMMDD are accepted too).
- `row_id` (optional): the row's stable identity. Without it, the identity is a hash of
  the type, the connection and the encoded values: the same row in a later file is
  the same credential.

Idempotency: every row's key is claimed in the agency's store (committed) before its
offer is sent, and the offer carries the key in its comment. A re-run skips rows whose
credential was issued or is still on offer; a row whose exchange failed (holder declined,
record deleted, agent refused) is offered again; a row left `sending` by a crash is
looked up at the agent (by the comment) before anything is sent again.

Bad rows (missing or extra values, wrong types, empty connection, repeated key) are
reported with their line number and the batch goes on. Offers are sent by a bounded pool
(`concurrency`, default 6); waiting for the holders is collective (an event stream plus a
periodic refresh), so a slow citizen does not hold up the rest. With `wait`, rows whose
holder did not accept within the timeout are reported `offered` (not failed): the offer
stands, and a re-run or `issuer credentials list` picks up their final state.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ssi_wallet.agency.connections import require_active
from ssi_wallet.agency.credential_types import CredentialType
from ssi_wallet.agency.issuance import TOPIC, Issuer
from ssi_wallet.agency.issued_store import FAILED_STATES, ISSUED_STATES, UNACKNOWLEDGED
from ssi_wallet.errors import InvalidInputError, NotFoundError, SsiWalletError

RESERVED = ("connection_id", "row_id")
COMMENT_PREFIX = "ssi-wallet batch row "
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class RowResult:
    line: int
    status: str  # issued | offered | skipped | invalid | failed
    connection_id: str = ""
    row_id: str | None = None
    row_key: str | None = None
    cred_ex_id: str | None = None
    state: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BatchReport:
    file: str
    type: str
    cred_def_id: str
    rows: list[RowResult] = field(default_factory=list)
    seconds: float = 0.0
    send_seconds: float = 0.0
    report_path: str | None = None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows:
            out[row.status] = out.get(row.status, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        counts = self.counts()
        sent = counts.get("issued", 0) + counts.get("offered", 0)
        return {
            "file": self.file,
            "type": self.type,
            "cred_def_id": self.cred_def_id,
            "total": len(self.rows),
            "counts": counts,
            "seconds": round(self.seconds, 2),
            "send_seconds": round(self.send_seconds, 2),
            "offers_per_second": (
                round(sent / self.send_seconds, 2) if self.send_seconds and sent else None
            ),
            "report": self.report_path,
            "rows": [r.to_json() for r in self.rows],
        }


@dataclass
class _Row:
    line: int
    connection_id: str
    row_id: str | None
    raw: dict[str, str]
    key: str


#: A row to send: the row, its store id when known, and the earlier exchange that ended
#: without a credential (id, state) when it is a re-offer.
_ToSend = tuple[_Row, int | None, tuple[str, str] | None]


def row_key(
    ctype: CredentialType, connection_id: str, raw: dict[str, str], row_id: str | None
) -> str:
    if row_id:
        return f"{ctype.name}/{ctype.version}/id:{row_id}"
    material = json.dumps(
        [ctype.name, ctype.version, connection_id, sorted(raw.items())], separators=(",", ":")
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    return f"{ctype.name}/{ctype.version}/sha256:{digest}"


def read_rows(path: Path, ctype: CredentialType) -> tuple[list[_Row], list[RowResult]]:
    """Good rows to issue and bad rows (with line numbers). A bad header is fatal."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no CSV file {path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"{path}: not UTF-8 text (byte {error.start}): save the CSV as UTF-8"
        ) from None
    try:
        return _parse_rows(path, text, ctype)
    except csv.Error as error:
        raise InvalidInputError(f"{path}: not a readable CSV file ({error})") from None


def _parse_rows(path: Path, text: str, ctype: CredentialType) -> tuple[list[_Row], list[RowResult]]:
    good: list[_Row] = []
    bad: list[RowResult] = []
    seen: dict[str, int] = {}
    with io.StringIO(text, newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not header:
            raise InvalidInputError(f"{path}: empty file (expected a header row)")
        reader.fieldnames = header
        if "connection_id" not in header:
            raise InvalidInputError(f"{path}: line 1: no connection_id column")
        unknown = [h for h in header if h not in RESERVED and h not in ctype.attribute_names]
        if unknown:
            raise InvalidInputError(
                f"{path}: line 1: column(s) {', '.join(unknown)} are not attributes of {ctype.name}"
            )
        missing = [a for a in ctype.attribute_names if a not in header]
        if missing:
            raise InvalidInputError(
                f"{path}: line 1: {ctype.name} needs column(s) {', '.join(missing)}"
            )
        line = 1
        for record in reader:
            line = reader.line_num
            if None in record:  # more cells than header columns
                bad.append(RowResult(line, "invalid", error="more values than columns"))
                continue
            if all(not (v or "").strip() for v in record.values()):
                continue  # blank line
            connection_id = (record.get("connection_id") or "").strip()
            row_id = (record.get("row_id") or "").strip() or None
            values = {k: (v or "") for k, v in record.items() if k not in RESERVED}
            problems = ctype.problems(values)
            if not connection_id:
                problems.insert(0, "connection_id is missing")
            invalid = partial(RowResult, line, "invalid", connection_id=connection_id,
                              row_id=row_id)
            if problems:
                bad.append(invalid(error="; ".join(problems)))
                continue
            raw = ctype.encode(values)
            key = row_key(ctype, connection_id, raw, row_id)
            if key in seen:
                bad.append(invalid(row_key=key, error=f"the same credential as line {seen[key]}"))
                continue
            seen[key] = line
            good.append(_Row(line, connection_id, row_id, raw, key))
    return good, bad


class _Watcher:
    """Collects issuer-side state changes from the event stream in a thread."""

    def __init__(self, issuer: Issuer) -> None:
        self.states: dict[str, str] = {}
        self.lock = threading.Lock()
        self.changed = threading.Event()
        self._stop = threading.Event()
        self._events = issuer.client.events()
        self._events.open()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                event = self._events.next(timeout=0.5)
                if not event or event.get("topic") != TOPIC:
                    continue
                payload = event.get("payload") or {}
                if payload.get("cred_ex_id") and payload.get("state"):
                    with self.lock:
                        self.states[payload["cred_ex_id"]] = payload["state"]
                    self.changed.set()
        except SsiWalletError:
            return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._events.close()


def run_batch(
    issuer: Issuer,
    ctype: CredentialType,
    csv_path: Path,
    *,
    cred_def_id: str | None = None,
    concurrency: int = 6,
    wait: bool = True,
    timeout: float = 300,
    progress: Progress | None = None,
) -> BatchReport:
    started = time.monotonic()
    cred_def_id = issuer.creddef_for(ctype, cred_def_id)
    good, bad = read_rows(csv_path, ctype)
    batch_name = Path(csv_path).name
    report = BatchReport(str(Path(csv_path).resolve()), ctype.name, cred_def_id)
    results: dict[int, RowResult] = {r.line: r for r in bad}
    store = issuer.store
    notify = progress or (lambda phase, done, total: None)

    # What the store knows: skip what was issued or is on offer; resend what failed.
    to_send: list[_ToSend] = []
    for row in good:
        known = store.by_row_key(row.key)
        if known is None:
            to_send.append((row, None, None))
            continue
        if known.state == "sending":
            adopted = _find_sent(issuer, known.connection_id, row.key)
            if adopted is not None:
                store.set_sent(known.id, adopted["cred_ex_id"], adopted["state"])
                known = store.by_row_key(row.key)
            else:
                to_send.append((row, known.id, None))
                continue
        if known.cred_ex_id and (
            known.state == UNACKNOWLEDGED
            or known.state not in (*ISSUED_STATES, "failed", *FAILED_STATES)
        ):
            # Issued but never acknowledged: the wallet may have abandoned it since
            # (credential lost on the way); the agent's record says so.
            known = issuer.refresh(known.cred_ex_id) or known
        if known.state in ("failed", *FAILED_STATES):
            ended = (known.cred_ex_id, known.state) if known.cred_ex_id else None
            to_send.append((row, known.id, ended))
            continue
        results[row.line] = RowResult(
            row.line,
            "skipped",
            row.connection_id,
            row.row_id,
            row.key,
            known.cred_ex_id,
            known.state,
            "issued by an earlier run" if known.issued else "on offer since an earlier run",
        )

    watcher = _Watcher(issuer) if (wait and to_send) else None
    try:
        send_started = time.monotonic()
        pending = _send_all(
            issuer, ctype, cred_def_id, to_send, batch_name, concurrency, results, notify
        )
        report.send_seconds = time.monotonic() - send_started
        if watcher is not None:
            _wait_all(issuer, watcher, pending, results, timeout, notify)
    finally:
        if watcher is not None:
            watcher.close()
    for line, result in results.items():
        if result.status == "offered" and result.state in ISSUED_STATES:
            result.status = "issued"
        elif result.status == "offered" and result.state in FAILED_STATES:
            result.status = "failed"
            result.error = f"exchange ended {result.state}"
        del line
    report.rows = [results[k] for k in sorted(results)]
    report.seconds = time.monotonic() - started
    return report


def _find_sent(issuer: Issuer, connection_id: str, key: str) -> dict[str, str] | None:
    """An exchange the agent has for this row (sent before a crash), by its comment."""
    try:
        found = (
            issuer.client.get(
                "/issue-credential-2.0/records", params={"connection_id": connection_id}
            )
            or {}
        )
    except SsiWalletError:
        return None
    for item in found.get("results") or []:
        record = item.get("cred_ex_record") or {}
        offer = record.get("cred_offer") or {}
        if offer.get("comment") == COMMENT_PREFIX + key:
            return {"cred_ex_id": record["cred_ex_id"], "state": record.get("state") or ""}
    return None


def _send_all(
    issuer: Issuer,
    ctype: CredentialType,
    cred_def_id: str,
    to_send: list[_ToSend],
    batch_name: str,
    concurrency: int,
    results: dict[int, RowResult],
    notify: Progress,
) -> dict[str, int]:
    store = issuer.store
    checked: dict[str, str | None] = {}  # connection id -> problem (None: fine)
    lock = threading.Lock()
    pending: dict[str, int] = {}  # cred_ex_id -> line
    done = [0]
    total = len(to_send)
    notify("send", 0, total)

    def connection_problem(connection_id: str) -> str | None:
        with lock:
            if connection_id in checked:
                return checked[connection_id]
        try:
            require_active(issuer.client, issuer.config.name, connection_id)
            problem = None
        except SsiWalletError as error:
            problem = str(error)
        with lock:
            checked[connection_id] = problem
        return problem

    def send(item: _ToSend) -> None:
        row, existing, ended = item
        result = RowResult(row.line, "failed", row.connection_id, row.row_id, row.key)
        try:
            problem = connection_problem(row.connection_id)
            if problem:
                result.status, result.error = "invalid", problem
                return
            if existing is None:
                stored, claimed = store.claim_row(
                    row_key=row.key,
                    connection_id=row.connection_id,
                    type_name=ctype.name,
                    cred_def_id=cred_def_id,
                    batch=batch_name,
                    line=row.line,
                )
                if not claimed:  # another run got there first
                    result.status, result.state = "skipped", stored.state
                    result.cred_ex_id = stored.cred_ex_id
                    result.error = "claimed by a concurrent run"
                    return
                row_db_id = stored.id
            else:
                store.reclaim(
                    existing,
                    connection_id=row.connection_id,
                    cred_def_id=cred_def_id,
                    batch=batch_name,
                    line=row.line,
                    ended=ended,
                )
                row_db_id = existing
            try:
                record = issuer.offer(
                    row.connection_id, ctype, row.raw, cred_def_id, comment=COMMENT_PREFIX + row.key
                )
            except SsiWalletError as error:
                store.set_failed(row_db_id, str(error))
                result.error = str(error)
                return
            state = record.get("state") or "offer-sent"
            store.set_sent(row_db_id, record["cred_ex_id"], state)
            result.status, result.cred_ex_id, result.state = "offered", record["cred_ex_id"], state
            with lock:
                pending[record["cred_ex_id"]] = row.line
        except SsiWalletError as error:
            result.error = str(error)
        except Exception as error:  # noqa: BLE001 - one row's surprise must not end the batch
            result.error = f"{type(error).__name__}: {error}"
        finally:
            with lock:
                results[row.line] = result
                done[0] += 1
                notify("send", done[0], total)

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 16))) as pool:
        list(pool.map(send, to_send))
    return pending


def _wait_all(
    issuer: Issuer,
    watcher: _Watcher,
    pending: dict[str, int],
    results: dict[int, RowResult],
    timeout: float,
    notify: Progress,
) -> None:
    final = (*ISSUED_STATES, *FAILED_STATES)
    total = len(pending)
    open_ids = set(pending)
    deadline = time.monotonic() + timeout
    last_refresh = 0.0
    notify("wait", 0, total)
    while open_ids:
        with watcher.lock:
            seen = {i: watcher.states[i] for i in open_ids if i in watcher.states}
        now = time.monotonic()
        if now - last_refresh > 2:  # events can be missed; records can't
            last_refresh = now
            for cred_ex_id in list(open_ids - {i for i, s in seen.items() if s in final}):
                state = issuer._record_state(cred_ex_id)
                if state:
                    seen[cred_ex_id] = state
        for cred_ex_id, state in seen.items():
            if state in final:
                open_ids.discard(cred_ex_id)
                row = issuer.refresh(cred_ex_id)
                result = results[pending[cred_ex_id]]
                result.state = row.state if row else state
        notify("wait", total - len(open_ids), total)
        if not open_ids or time.monotonic() > deadline:
            break
        watcher.changed.wait(timeout=0.5)
        watcher.changed.clear()
    for cred_ex_id in open_ids:
        row = issuer.refresh(cred_ex_id)
        if row:
            results[pending[cred_ex_id]].state = row.state


def write_report(report: BatchReport, path: Path) -> Path:
    """The per-row report as JSON, or CSV when `path` ends in .csv."""
    from ssi_wallet.files import atomic_write

    path = Path(path)
    report.report_path = str(path)
    if path.suffix.lower() == ".csv":
        import io

        buffer = io.StringIO()
        columns = [
            "line",
            "status",
            "connection_id",
            "row_id",
            "row_key",
            "cred_ex_id",
            "state",
            "error",
        ]
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        for row in report.rows:
            writer.writerow(row.to_json())
        atomic_write(path, buffer.getvalue())
    else:
        atomic_write(path, json.dumps(report.to_json(), indent=2) + "\n")
    return path
