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


def queries(request: ProofRequest) -> dict[str, dict[str, Any]]:
    """referent -> its wallet query."""
    out = {a.referent: item_query(a.names, a.restrictions) for a in request.attributes}
    out.update({p.referent: item_query((p.name,), p.restrictions) for p in request.predicates})
    return out


def cred_info(name: str, raw: bytes) -> dict[str, Any]:
    """A stored credential as ACA-Py's `/credentials` shows it (ids and raw values)."""
    doc = CredxCredential.load(raw).to_dict()
    rev = (doc.get("signature") or {}).get("r_credential")
    return {"referent": name, "schema_id": doc["schema_id"], "cred_def_id": doc["cred_def_id"],
            "rev_reg_id": doc.get("rev_reg_id"),
            "cred_rev_id": str(rev["i"]) if rev else None,
            "attrs": {k: v["raw"] for k, v in doc["values"].items()}}


async def page(profile: Profile, query: dict[str, Any], start: int, count: int,
               *, with_total: bool = True, cap: int | None = MAX_CANDIDATES
               ) -> tuple[list[dict[str, Any]], int | None]:
    """Credentials matching `query`, newest first, from `start` (never past `cap`); and
    how many match."""
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
    return [cred_info(row.name, row.raw_value) async for row in rows], total


async def pages(profile: Profile, request: ProofRequest,
                wanted: dict[str, tuple[int, int]]) -> dict[str, dict[str, Any]]:
    """`{referent: (start, count)}` -> `{referent: {"results": [...], "total": n}}`."""
    by_ref = queries(request)
    out = {}
    for ref, (start, count) in wanted.items():
        if ref not in by_ref:
            raise KeyError(ref)
        results, total = await page(profile, by_ref[ref], start, count)
        out[ref] = {"results": results, "total": total}
    return out


async def fetch_into(profile: Profile, facts: PlanFacts, referents) -> None:
    """Add the next page of each referent's candidates to `facts` (in the agent)."""
    wanted = {ref: (len(facts.candidates.get(ref, [])), PAGE) for ref in referents}
    for ref, found in (await pages(profile, facts.request, wanted)).items():
        facts.add_page(ref, [Credential.from_record(i) for i in found["results"]],
                       found["total"])


async def stored_times(session: ProfileSession, wanted: set[str] | None) -> dict[str, str]:
    """credential id -> when it was stored (`updated_at` of its finished holder
    exchange), for `wanted` ids or all. Read from the raw stored records: ACA-Py's
    GET /issue-credential-2.0/records rebuilds every exchange through its message models
    (tens of ms each). The exchange details are not tagged by credential, so they are
    all read (raw); only the wanted exchanges are then fetched."""
    storage = session.inject(BaseStorage)
    exchange_of: dict[str, str] = {}
    for record in await storage.find_all_records("indy_cred_ex_v20", {}):
        detail = json.loads(record.value)
        cred_id = detail.get("cred_id_stored")
        if cred_id and detail.get("cred_ex_id") and (wanted is None or cred_id in wanted):
            exchange_of[cred_id] = detail["cred_ex_id"]
    times: dict[str, str] = {}
    for cred_id, cred_ex_id in exchange_of.items():
        try:
            record = await storage.get_record("cred_ex_v20", cred_ex_id)
        except StorageNotFoundError:
            continue
        exchange = json.loads(record.value)
        if exchange.get("role") == "holder" and exchange.get("state") == "done":
            times[cred_id] = exchange.get("updated_at") or ""
    return times
