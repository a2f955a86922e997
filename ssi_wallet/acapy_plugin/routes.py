"""Admin routes of the wallet app, behind the agent's admin API key:

    GET/POST            /ssi-wallet/history
    GET/POST            /ssi-wallet/records/{category}        (?tag=value filters)
    GET/PUT/DELETE      /ssi-wallet/records/{category}/{id}
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
        ]
    )
