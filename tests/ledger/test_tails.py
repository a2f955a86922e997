"""The tails server: uploads checked against the ledger's tailsHash, size limit, GET."""

from __future__ import annotations

import hashlib
import socket
import time

import base58
import httpx
from indy_vdr import ledger as vl
from indy_vdr import open_pool

from ssi_wallet.ledger.keys import KeyPair
from tests.ledger.conftest import cred_def_request, nym_request, run, sign, submit


def _registry(led, tails: bytes) -> str:
    """Write schema, cred def and a revocation registry whose tailsHash matches ``tails``."""
    trustee, issuer = led.trustee, KeyPair.generate()

    async def go():
        pool = await open_pool(transactions_path=led.genesis_path)
        await submit(pool, nym_request(trustee, issuer, "ENDORSER"))
        name = f"t{time.time_ns()}"
        r = await submit(
            pool,
            sign(
                vl.build_schema_request(
                    issuer.did,
                    {
                        "ver": "1.0",
                        "id": f"{issuer.did}:2:{name}:1.0",
                        "name": name,
                        "version": "1.0",
                        "attrNames": ["a"],
                        "seqNo": None,
                    },
                ),
                issuer,
            ),
        )
        seq = r["txnMetadata"]["seqNo"]
        cdid = f"{issuer.did}:3:CL:{seq}:default"
        await submit(pool, cred_def_request(issuer, seq, "default"))
        rrid = f"{issuer.did}:4:{cdid}:CL_ACCUM:0"
        await submit(
            pool,
            sign(
                vl.build_revoc_reg_def_request(
                    issuer.did,
                    {
                        "ver": "1.0",
                        "id": rrid,
                        "revocDefType": "CL_ACCUM",
                        "tag": "0",
                        "credDefId": cdid,
                        "value": {
                            "issuanceType": "ISSUANCE_BY_DEFAULT",
                            "maxCredNum": 4,
                            "publicKeys": {"accumKey": {"z": "1"}},
                            "tailsHash": base58.b58encode(hashlib.sha256(tails).digest()).decode(),
                            "tailsLocation": f"{led.tails_server_url}/{rrid}",
                        },
                    },
                ),
                issuer,
            ),
        )
        return rrid

    return run(go())


def test_tails_upload_checked_and_served(ledger):
    tails = b"\x00\x02" + bytes(range(256)) * 4
    rrid = _registry(ledger, tails)
    url = f"{ledger.tails_server_url}/{rrid}"
    assert httpx.get(url).status_code == 404

    def put(content: bytes) -> httpx.Response:  # the multipart form ACA-Py sends
        return httpx.put(
            url,
            files={"tails": ("tails", content, "application/octet-stream")},
            data={"genesis": "{}"},
        )

    bad = put(tails + b"x")
    assert bad.status_code == 400 and "does not match" in bad.text
    good = put(tails)
    assert (
        good.status_code == 200
        and good.text == base58.b58encode(hashlib.sha256(tails).digest()).decode()
    )
    assert put(tails).status_code == 200  # idempotent
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == tails
    unknown = httpx.put(f"{ledger.tails_server_url}/NoSuchReg:4:x", content=tails)
    assert unknown.status_code == 404
    assert httpx.put(f"{ledger.tails_server_url}/..%2Fetc", content=tails).status_code == 400


def test_tails_size_limit(ledger):
    host, port = ledger.tails_server_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"PUT /Some:4:reg HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % (65 * 1024 * 1024 + 1)
        )
        status_line = conn.recv(1024).split(b"\r\n", 1)[0]
    assert b" 413 " in status_line


def test_tails_chunked_upload(ledger):
    tails = b"\x00\x02" + bytes(range(200)) * 3
    rrid = _registry(ledger, tails)

    def chunks():
        yield tails[:100]
        yield tails[100:]

    resp = httpx.put(f"{ledger.tails_server_url}/{rrid}", content=chunks())
    assert resp.status_code == 200
    assert httpx.get(f"{ledger.tails_server_url}/{rrid}").content == tails
