"""Admin routes of the wallet app, behind the agent's admin API key:

    GET/POST            /ssi-wallet/history
    GET/POST            /ssi-wallet/records/{category}        (?tag=value filters)
    GET/PUT/DELETE      /ssi-wallet/records/{category}/{id}
    POST                /ssi-wallet/received-times            ({"credential_ids": [...]})
    GET                 /ssi-wallet/credentials               (?start=&count=: newest first)
    POST                /ssi-wallet/candidates                (a proof request's candidates,
                        newest first: {"pres_ex_id", "referents": {ref: {start, count}}})
    POST                /ssi-wallet/offers/{cred_ex_id}/accept ({"wait", "timeout"}: ask
                        for the credential; answers once stored, see `accepting.py`)
"""

from __future__ import annotations

from aiohttp import web
from aries_cloudagent.admin.request_context import AdminRequestContext

from ssi_wallet.acapy_plugin import records
from ssi_wallet.acapy_plugin.history import KINDS, add_entry, list_entries


async def history_list(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    kind = request.query.get("kind")
    if kind and kind not in KINDS:
        raise web.HTTPBadRequest(reason=f"unknown kind {kind!r}")
    async with context.profile.session() as session:
        entries = await list_entries(
            session, kind=kind, connection_id=request.query.get("connection_id")
        )
    return web.json_response({"results": entries})


async def history_add(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    body = await _json_object(request)
    if body.get("kind") not in KINDS:
        raise web.HTTPBadRequest(reason=f"kind must be one of {', '.join(KINDS)}")
    body.pop("id", None)
    body.pop("at", None)
    async with context.profile.session() as session:
        entry = await add_entry(session, body)
    return web.json_response(entry)


async def records_list(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    category = _category(request)
    query = {k: v for k, v in request.query.items() if k in records.TAGGED_FIELDS}
    async with context.profile.session() as session:
        found = await records.find(session, category, query)
    return web.json_response({"results": found})


async def records_add(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    category = _category(request)
    body = await _json_object(request)
    async with context.profile.session() as session:
        if body.get("id") and await records.get(session, category, body["id"]):
            raise web.HTTPConflict(reason=f"{category} {body['id']} exists")
        return web.json_response(await records.add(session, category, body))


async def records_get(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    category = _category(request)
    async with context.profile.session() as session:
        found = await records.get(session, category, request.match_info["record_id"])
    if found is None:
        raise web.HTTPNotFound(reason=f"no {category} {request.match_info['record_id']}")
    return web.json_response(found)


async def records_put(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    category = _category(request)
    body = await _json_object(request)
    async with context.profile.session() as session:
        updated = await records.put(session, category, request.match_info["record_id"], body)
    if updated is None:
        raise web.HTTPNotFound(reason=f"no {category} {request.match_info['record_id']}")
    return web.json_response(updated)


async def records_delete(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    category = _category(request)
    async with context.profile.session() as session:
        deleted = await records.delete(session, category, request.match_info["record_id"])
    if not deleted:
        raise web.HTTPNotFound(reason=f"no {category} {request.match_info['record_id']}")
    return web.json_response({"deleted": True})


def _category(request: web.BaseRequest) -> str:
    category = request.match_info["category"]
    if category not in records.CATEGORIES or category == "history":
        raise web.HTTPNotFound(reason=f"unknown category {category!r}")
    return category


async def received_times(request: web.BaseRequest) -> web.Response:
    """credential id -> when it was stored (`updated_at` of its finished holder exchange),
    for the given ids or all. Read from the raw stored records: ACA-Py's
    GET /issue-credential-2.0/records rebuilds every exchange through its message models
    (tens of ms each), which made every proof answer and listing grow with the wallet."""
    context: AdminRequestContext = request["context"]
    body = await _json_object(request) if request.can_read_body else {}
    ids = body.get("credential_ids")
    if ids is not None and (not isinstance(ids, list)
                            or not all(isinstance(i, str) for i in ids)):
        raise web.HTTPBadRequest(reason="credential_ids must be a list of strings")
    from ssi_wallet.acapy_plugin.candidates import stored_times

    async with context.profile.session() as session:
        times = await stored_times(session, set(ids) if ids is not None else None)
    return web.json_response({"results": times})


async def credentials_page(request: web.BaseRequest) -> web.Response:
    """The wallet's credentials newest first, one page (`?start=&count=`, at most 1000),
    with the total and, unless `times=0`, when each was stored: a listing that does not
    load all 10,000 credentials of a large wallet to show the newest."""
    from ssi_wallet.acapy_plugin.candidates import page, stored_times

    context: AdminRequestContext = request["context"]
    try:
        start = max(0, int(request.query.get("start", 0)))
        count = max(0, min(1000, int(request.query.get("count", 50))))
    except ValueError:
        raise web.HTTPBadRequest(reason="start and count must be integers") from None
    results, total = await page(context.profile, {}, start, count, cap=None)
    missing = {r["referent"] for r in results if not r.get("received_at")}
    if request.query.get("times", "1") != "0" and missing:
        async with context.profile.session() as session:
            times = await stored_times(session, missing)
        for info in results:
            info["received_at"] = info.get("received_at") or times.get(info["referent"])
    return web.json_response({"results": results, "total": total})


async def candidates(request: web.BaseRequest) -> web.Response:
    """Pages of the credentials that can answer a received proof request's items, newest
    first, with how many match in all (see `candidates.py`)."""
    from aries_cloudagent.protocols.present_proof.v2_0.models.pres_exchange import (
        V20PresExRecord,
    )
    from aries_cloudagent.storage.error import StorageNotFoundError

    from ssi_wallet.acapy_plugin import candidates as found
    from ssi_wallet.errors import InvalidInputError
    from ssi_wallet.holder.models import ProofRequest

    context: AdminRequestContext = request["context"]
    body = await _json_object(request)
    wanted = body.get("referents")
    if not isinstance(body.get("pres_ex_id"), str) or not isinstance(wanted, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("start", 0), int)
            and isinstance(v.get("count", 0), int) for v in wanted.values()):
        raise web.HTTPBadRequest(
            reason="body must be {pres_ex_id, referents: {referent: {start, count}}}")
    try:
        async with context.profile.session() as session:
            record = await V20PresExRecord.retrieve_by_id(session, body["pres_ex_id"])
        proof_request = ProofRequest.from_record(record.serialize())
    except StorageNotFoundError:
        raise web.HTTPNotFound(reason=f"no proof request {body['pres_ex_id']}") from None
    except InvalidInputError as error:
        raise web.HTTPBadRequest(reason=str(error)) from None
    try:
        results = await found.pages(context.profile, proof_request, {
            ref: (max(0, v.get("start", 0)), max(0, v.get("count", 0)))
            for ref, v in wanted.items()})
    except KeyError as error:
        raise web.HTTPBadRequest(reason=f"no requested item {error}") from None
    return web.json_response({"results": results})


#: Why an offer could not be accepted -> the HTTP status that says it.
REFUSED_STATUS = {"not_found": 404, "not_open": 409, "connection": 409,
                  "not_on_ledger": 422, "failed": 400}


async def offer_accept(request: web.BaseRequest) -> web.Response:
    from ssi_wallet.acapy_plugin.accepting import OfferRefused, accept

    context: AdminRequestContext = request["context"]
    body = await _json_object(request) if request.can_read_body else {}
    wait, timeout = body.get("wait", True), body.get("timeout", 60)
    if not isinstance(wait, bool) or isinstance(timeout, bool) \
            or not isinstance(timeout, int | float) or not 0 < timeout <= 3600:
        raise web.HTTPBadRequest(reason="wait must be true or false, timeout 0-3600 seconds")
    try:
        accepted = await accept(context.profile, request.match_info["cred_ex_id"],
                                wait=wait, timeout=float(timeout))
    except OfferRefused as refused:
        return web.json_response({"reason": str(refused), "kind": refused.kind},
                                 status=REFUSED_STATUS[refused.kind])
    return web.json_response(accepted.to_json())


async def _json_object(request: web.BaseRequest) -> dict:
    try:
        body = await request.json()
    except ValueError as error:
        raise web.HTTPBadRequest(reason="body is not JSON") from error
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(reason="body must be a JSON object")
    return body


async def register(app: web.Application) -> None:
    """ACA-Py calls this to mount the plugin's admin routes."""
    app.add_routes(
        [
            web.get("/ssi-wallet/history", history_list, allow_head=False),
            web.post("/ssi-wallet/history", history_add),
            web.get("/ssi-wallet/records/{category}", records_list, allow_head=False),
            web.post("/ssi-wallet/records/{category}", records_add),
            web.get("/ssi-wallet/records/{category}/{record_id}", records_get,
                    allow_head=False),
            web.put("/ssi-wallet/records/{category}/{record_id}", records_put),
            web.delete("/ssi-wallet/records/{category}/{record_id}", records_delete),
            web.post("/ssi-wallet/received-times", received_times),
            web.post("/ssi-wallet/candidates", candidates),
            web.get("/ssi-wallet/credentials", credentials_page, allow_head=False),
            web.post("/ssi-wallet/offers/{cred_ex_id}/accept", offer_accept),
        ]
    )
