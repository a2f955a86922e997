"""Tails-file server: HTTP PUT/GET ``/{rev_reg_id}``, as ACA-Py's tails server settings expect.

ACA-Py uploads multipart form data with fields ``genesis`` and ``tails`` after it has
written the registry definition, so the upload is checked against the ledger: the
registry must exist and the file's base58 sha256 must equal its ``tailsHash``.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import logging
import os
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import base58

from .storage import connect, find_txn_by_id

log = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 64 * 1024 * 1024
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,254}$")


def tails_hash(data: bytes) -> str:
    return base58.b58encode(hashlib.sha256(data).digest()).decode()


def _multipart_field(content_type: str, body: bytes, name: str) -> bytes | None:
    """The raw bytes of one form field of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        return None
    for part in msg.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            return part.get_payload(decode=True) or b""
    return None


class _Handler(BaseHTTPRequestHandler):
    server: TailsServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: object) -> None:  # route to logging, not stderr
        log.info("tails %s - " + fmt, self.address_string(), *args)

    def _reply(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _rev_reg_id(self) -> str | None:
        rid = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path.lstrip("/"))
        return rid if _ID_RE.match(rid) else None

    def _read_body(self, limit: int) -> bytes | None:
        """The request body (Content-Length or chunked), or None after replying an error."""
        too_big = f"tails file larger than {self.server.max_size} bytes\n".encode()
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                try:
                    size = int(self.rfile.readline(64).split(b";")[0].strip(), 16)
                except ValueError:
                    self.close_connection = True
                    self._reply(400, b"bad chunked encoding\n")
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > limit:
                    self.close_connection = True
                    self._reply(413, too_big)
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            self._reply(411, b"Content-Length required\n")
            return None
        if length > limit:
            self.close_connection = True
            self._reply(413, too_big)
            return None
        return self.rfile.read(length)

    def do_GET(self) -> None:  # noqa: N802
        if self.path in ("/", "/health"):
            self._reply(200, b'{"status":"ok"}', "application/json")
            return
        rid = self._rev_reg_id()
        path = self.server.tails_dir / rid if rid else None
        if path is None or not path.is_file():
            self._reply(404, b"tails file not found\n")
            return
        self._reply(200, path.read_bytes(), "application/octet-stream")

    do_HEAD = do_GET

    def do_PUT(self) -> None:  # noqa: N802
        rid = self._rev_reg_id()
        if rid is None:
            self._reply(400, b"invalid revocation registry id\n")
            return
        body = self._read_body(self.server.max_size + 1024 * 1024)
        if body is None:
            return
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            data = _multipart_field(ctype, body, "tails")
            if data is None:
                self._reply(400, b"multipart upload without a 'tails' field\n")
                return
        else:
            data = body
        if len(data) > self.server.max_size:
            self._reply(413, f"tails file larger than {self.server.max_size} bytes\n".encode())
            return
        expected = self.server.expected_hash(rid)
        if expected is None:
            self._reply(404, f"no revocation registry {rid} on the ledger\n".encode())
            return
        actual = tails_hash(data)
        if actual != expected:
            self._reply(
                400, f"tails hash {actual} does not match the ledger's {expected}\n".encode()
            )
            return
        target = self.server.tails_dir / rid
        if target.exists():
            if tails_hash(target.read_bytes()) == actual:
                self._reply(200, actual.encode())
            else:
                self._reply(409, b"a different tails file is already stored\n")
            return
        tmp = target.with_name(f".{rid}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        log.info("stored tails file for %s (%d bytes)", rid, len(data))
        self._reply(200, actual.encode())


class TailsServer(ThreadingHTTPServer):
    """Threaded HTTP server for tails files, reading the ledger database read-only."""

    daemon_threads = True

    def __init__(
        self, host: str, port: int, tails_dir: Path, db_path: Path, max_size: int = DEFAULT_MAX_SIZE
    ):
        self.tails_dir = tails_dir
        self.db_path = db_path
        self.max_size = max_size
        tails_dir.mkdir(parents=True, exist_ok=True)
        super().__init__((host, port), _Handler)

    def expected_hash(self, rev_reg_id: str) -> str | None:
        conn = connect(self.db_path, readonly=True)
        try:
            txn = find_txn_by_id(conn, "113", rev_reg_id)
        finally:
            conn.close()
        if txn is None:
            return None
        return json.loads(txn)["txn"]["data"]["value"]["tailsHash"]

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="tails-server", daemon=True)
        thread.start()
        return thread
