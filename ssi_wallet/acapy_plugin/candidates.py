"""Which stored credentials can answer a proof request's items, newest first, a page at a
time, straight from the wallet (Askar).

The item's names and restrictions become the wallet query (`planning.item_query`), and
Askar returns the rows in the order they were stored, newest first, so only the page the
choice needs is loaded through the AnonCreds library. ACA-Py's own candidate listing has
no order: answering newest-first meant loading up to 1000 candidates and the received
time of every one (5.3 s for a wallet of 10,000).
"""

from __future__ import annotations

import json
from typing import Any

from aries_cloudagent.core.profile import Profile, ProfileSession
from aries_cloudagent.storage.base import BaseStorage
from aries_cloudagent.storage.error import StorageNotFoundError
from indy_credx import Credential as CredxCredential

from ssi_wallet.holder.models import Credential, ProofRequest
from ssi_wallet.holder.planning import MAX_CANDIDATES, PAGE, PlanFacts, item_query

CATEGORY = "credential"  # where ACA-Py's askar holder keeps AnonCreds credentials
#: A tag the wallet adds to each stored credential: when it was stored (ISO time). It
#: is the received-time index: reading it from the exchange records instead meant
#: reading every exchange detail record (7 s for a wallet of 10,000 under load).
RECEIVED_TAG = "ssi_received_at"


def queries(request: ProofRequest) -> dict[str, dict[str, Any]]:
    """referent -> its wallet query."""
    out = {a.referent: item_query(a.names, a.restrictions) for a in request.attributes}
    out.update({p.referent: item_query((p.name,), p.restrictions) for p in request.predicates})
    return out


def cred_info(name: str, raw: bytes | memoryview) -> dict[str, Any]:
    """A stored credential as ACA-Py's `/credentials` shows it (ids and raw values).

    ACA-Py's holder stores the credential as the AnonCreds library's JSON: read as
    JSON it costs a tenth of loading it through the library (which checks every big
    number of the signature), and a listing of hundreds reads them all."""
    try:
        doc = json.loads(bytes(raw))  # Askar hands out a memoryview
    except (ValueError, UnicodeDecodeError):  # not JSON: the library knows the format
        doc = CredxCredential.load(raw).to_dict()
    rev = (doc.get("signature") or {}).get("r_credential")
    return {"referent": name, "schema_id": doc["schema_id"], "cred_def_id": doc["cred_def_id"],
            "rev_reg_id": doc.get("rev_reg_id"),
            "cred_rev_id": str(rev["i"]) if rev else None,
            "attrs": {k: v["raw"] for k, v in doc["values"].items()}}


async def page(profile: Profile, query: dict[str, Any], start: int, count: int,
               *, with_total: bool = True, cap: int | None = MAX_CANDIDATES
               ) -> tuple[list[dict[str, Any]], int | None]:
    """Credentials matching `query`, newest first, from `start` (never past `cap`),
    each with when it was stored (`received_at`); and how many match."""
    count = max(0, count if cap is None else min(count, cap - start))
    total = None
    if with_total:
        async with profile.session() as session:
            total = await session.handle.count(CATEGORY, query)
    if count == 0:
        return [], total
    rows = profile.store.scan(CATEGORY, query, start, count,
                              profile.settings.get("wallet.askar_profile"),
                              order_by="id", descending=True)
    found = [(cred_info(row.name, row.raw_value), row.tags.get(RECEIVED_TAG))
             async for row in rows]
    for info, received in found:
        info["received_at"] = received
    return [info for info, _ in found], total


async def pages(profile: Profile, request: ProofRequest,
                wanted: dict[str, tuple[int, int]], *, with_total: bool = True
                ) -> dict[str, dict[str, Any]]:
    """`{referent: (start, count)}` -> `{referent: {"results": [...], "total": n}}`
    (`total` None unless `with_total`: counting costs as much as the page itself)."""
    by_ref = queries(request)
    out = {}
    for ref, (start, count) in wanted.items():
        if ref not in by_ref:
            raise KeyError(ref)
        results, total = await page(profile, by_ref[ref], start, count,
                                    with_total=with_total)
        out[ref] = {"results": results, "total": total}
    return out


#: The first page of an answer in the agent: the newest candidate alone. An answer takes
#: the newest credential that will do, nearly always that one; each row read costs
#: ~0.4 ms (Askar decrypts its tags), so a first page of 20 cost ~8 ms per answer for 19
#: rows unused. When it will not do (revoked, expired), pages of PAGE follow.
FIRST_PAGE = 1


async def fetch_into(profile: Profile, facts: PlanFacts, referents) -> None:
    """Add the next page of each referent's candidates to `facts` (in the agent)."""
    wanted = {ref: (len(facts.candidates.get(ref, [])),
                    PAGE if facts.candidates.get(ref) else FIRST_PAGE) for ref in referents}
    found = await pages(profile, facts.request, wanted, with_total=False)
    for ref, got in found.items():
        facts.add_page(ref, [Credential.from_record(i, i.get("received_at"))
                             for i in got["results"]], None, wanted[ref][1])


async def stored_times(session: ProfileSession, wanted: set[str] | None) -> dict[str, str]:
    """credential id -> when it was stored, for `wanted` ids or all: the received-time
    tag, else (credentials stored before the wallet kept it) `updated_at` of the finished
    holder exchange that stored it, read from the raw exchange records."""
    times: dict[str, str] = {}
    if wanted is not None:
        for cred_id in wanted:
            entry = await session.handle.fetch(CATEGORY, cred_id)
            if entry is not None and entry.tags.get(RECEIVED_TAG):
                times[cred_id] = entry.tags[RECEIVED_TAG]
        wanted = wanted - set(times)
        if not wanted:
            return times
    storage = session.inject(BaseStorage)
    exchange_of: dict[str, str] = {}
    for record in await storage.find_all_records("indy_cred_ex_v20", {}):
        detail = json.loads(record.value)
        cred_id = detail.get("cred_id_stored")
        if cred_id and detail.get("cred_ex_id") and (wanted is None or cred_id in wanted):
            exchange_of[cred_id] = detail["cred_ex_id"]
    for cred_id, cred_ex_id in exchange_of.items():
        try:
            record = await storage.get_record("cred_ex_v20", cred_ex_id)
        except StorageNotFoundError:
            continue
        exchange = json.loads(record.value)
        if exchange.get("role") == "holder" and exchange.get("state") == "done":
            times[cred_id] = exchange.get("updated_at") or ""
    return times


async def mark_received(profile: Profile, credential_id: str, at: str) -> None:
    """Add the received-time tag to a credential the wallet just stored."""
    async with profile.transaction() as txn:
        entry = await txn.handle.fetch(CATEGORY, credential_id, for_update=True)
        if entry is None or entry.tags.get(RECEIVED_TAG):
            return
        await txn.handle.replace(CATEGORY, credential_id, entry.raw_value,
                                 {**entry.tags, RECEIVED_TAG: at})
        await txn.commit()
