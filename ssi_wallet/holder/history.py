"""The wallet's history, kept in the encrypted wallet by the agent plugin
(`ssi_wallet.acapy_plugin`) and read here over the admin API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssi_wallet.files import write_secret

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

ROUTE = "/ssi-wallet/history"


def list_history(client: AdminClient, *, kind: str | None = None,
                 connection_id: str | None = None) -> list[dict[str, Any]]:
    params = {k: v for k, v in {"kind": kind, "connection_id": connection_id}.items() if v}
    return client.get(ROUTE, params=params).get("results", [])


def record_event(client: AdminClient, kind: str, **fields: Any) -> dict[str, Any]:
    """Add an entry the agent cannot see by itself (a deletion, a declined request),
    naming the other party as the agent's own entries do."""
    connection_id = fields.get("connection_id")
    if connection_id and "counterparty" not in fields:
        from ssi_wallet.errors import NotFoundError

        try:
            conn = client.get(f"/connections/{connection_id}")
            fields["counterparty"] = conn.get("their_label")
            fields["counterparty_did"] = conn.get("their_public_did")
        except NotFoundError:
            pass
    return client.post(ROUTE, json={"kind": kind, **fields})


def export_history(client: AdminClient, path: Path) -> int:
    """Write the whole history as JSON (0600: it holds disclosed values); returns the count."""
    entries = list_history(client)
    write_secret(path, json.dumps({"history": entries}, indent=2, ensure_ascii=False) + "\n")
    return len(entries)
