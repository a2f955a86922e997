"""Admin routes `/ssi-wallet/history` (list, add): behind the agent's admin API key."""

from __future__ import annotations

from aiohttp import web
from aries_cloudagent.admin.request_context import AdminRequestContext

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
    try:
        body = await request.json()
    except ValueError as error:
        raise web.HTTPBadRequest(reason="body is not JSON") from error
    if not isinstance(body, dict) or body.get("kind") not in KINDS:
        raise web.HTTPBadRequest(reason=f"kind must be one of {', '.join(KINDS)}")
    body.pop("id", None)
    body.pop("at", None)
    async with context.profile.session() as session:
        entry = await add_entry(session, body)
    return web.json_response(entry)


async def register(app: web.Application) -> None:
    """ACA-Py calls this to mount the plugin's admin routes."""
    app.add_routes(
        [
            web.get("/ssi-wallet/history", history_list, allow_head=False),
            web.post("/ssi-wallet/history", history_add),
        ]
    )
