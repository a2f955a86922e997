"""Connections: accept an invitation, wait until the connection is active, list, remove."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ssi_wallet.errors import NotFoundError, ServiceError
from ssi_wallet.holder.invitations import Invitation
from ssi_wallet.holder.models import Connection
from ssi_wallet.holder.waiting import wait_for_state

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

ACTIVE = ("active", "completed")
FAILED = ("abandoned", "error")


def connect(client: AdminClient, invitation: Invitation, *, wait: bool = True,
            timeout: float = 30.0) -> Connection:
    """Receive `invitation`; with `wait`, return once the connection is active."""

    def trigger() -> str:
        if invitation.kind == "oob":
            record = client.post("/out-of-band/receive-invitation",
                                 params={"auto_accept": "true"}, json=invitation.message)
        else:
            record = client.post("/connections/receive-invitation",
                                 params={"auto_accept": "true"}, json=invitation.message)
        connection_id = record.get("connection_id")
        if not connection_id:
            raise ServiceError("the agent accepted the invitation but made no connection")
        return connection_id

    if not wait:
        return get_connection(client, trigger())
    record = wait_for_state(
        client,
        topic="connections",
        id_field="connection_id",
        trigger=trigger,
        fetch=lambda cid: client.get(f"/connections/{cid}"),
        done=ACTIVE,
        failed=FAILED,
        timeout=timeout,
        what="connection",
    )
    return Connection.from_record(record)


def list_connections(client: AdminClient) -> list[Connection]:
    records = client.get("/connections").get("results", [])
    connections = [Connection.from_record(r) for r in records]
    return sorted(connections, key=lambda c: c.created_at or "")


def get_connection(client: AdminClient, connection_id: str) -> Connection:
    try:
        return Connection.from_record(client.get(f"/connections/{connection_id}"))
    except NotFoundError:
        raise NotFoundError(f"no connection {connection_id}") from None


def remove_connection(client: AdminClient, connection_id: str) -> None:
    get_connection(client, connection_id)
    client.delete(f"/connections/{connection_id}")


def labels(client: AdminClient) -> dict[str, Connection]:
    """Connections by id: one call to label offers and requests with who sent them."""
    return {c.id: c for c in list_connections(client)}
