"""Writes NYMs through stock indy-vdr as fast as it can, printing each acknowledged DID.

Used by the kill -9 test: ``python -m tests.ledger.burst_writer GENESIS TRUSTEE_SEED_FILE``.
"""

from __future__ import annotations

import asyncio
import sys

from indy_vdr import ledger, open_pool

from ssi_wallet.ledger.keys import KeyPair


async def main(genesis: str, seed_file: str, parallel: int = 8) -> None:
    trustee = KeyPair.from_seed(open(seed_file).read().strip())
    pool = await open_pool(transactions_path=genesis)

    async def one() -> None:
        while True:
            kp = KeyPair.generate()
            req = ledger.build_nym_request(trustee.did, kp.did, kp.verkey, None, None)
            req.set_signature(trustee.sign(req.signature_input))
            reply = await pool.submit_request(req)
            print(f"{kp.did} {reply['txnMetadata']['seqNo']}", flush=True)

    await asyncio.gather(*(one() for _ in range(parallel)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
