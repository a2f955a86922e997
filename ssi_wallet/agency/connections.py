"""An agency's connections as its sends need them: a refusal explained plainly.

Offers and requests go out without reading the connection first (one admin call less
per credential or proof); when ACA-Py refuses one (400 unknown, 403 not ready), the
connection is read once to say which it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ssi_wallet.errors import NotFoundError, SsiWalletError, UsageError

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

READY = ("active", "completed", "response")


def require_active(client: AdminClient, agency: str, connection_id: str) -> None:
    """Raise if `connection_id` is not a ready connection of the agency."""
    try:
        connection = client.get(f"/connections/{connection_id}") or {}
    except NotFoundError:
        raise NotFoundError(f"agency {agency} has no connection {connection_id}") from None
    if connection.get("state") not in READY:
        raise UsageError(
            f"connection {connection_id} is not active (state {connection.get('state')})")


def post_over(client: AdminClient, agency: str, connection_id: str, path: str,
              body: dict[str, Any]) -> Any:
    """POST a send over `connection_id`; a refusal about the connection says so."""
    try:
        return client.post(path, json=body)
    except SsiWalletError as error:
        if error.http_status in (400, 403):
            require_active(client, agency, connection_id)
        raise
