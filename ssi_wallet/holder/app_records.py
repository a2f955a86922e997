"""The wallet app's own records (consents, schemes, notices) kept in the encrypted
wallet by the agent plugin, reached over the admin API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ssi_wallet.errors import NotFoundError

if TYPE_CHECKING:
    from ssi_wallet.agent.admin import AdminClient

BASE = "/ssi-wallet/records"


def find(client: AdminClient, category: str, **tags: str) -> list[dict[str, Any]]:
    return client.get(f"{BASE}/{category}", params=tags or None).get("results", [])


def get(client: AdminClient, category: str, record_id: str) -> dict[str, Any]:
    try:
        return client.get(f"{BASE}/{category}/{record_id}")
    except NotFoundError:
        raise NotFoundError(f"no {category} {record_id}") from None


def add(client: AdminClient, category: str, value: dict[str, Any]) -> dict[str, Any]:
    return client.post(f"{BASE}/{category}", json=value)


def put(client: AdminClient, category: str, record_id: str,
        value: dict[str, Any]) -> dict[str, Any]:
    return client.put(f"{BASE}/{category}/{record_id}", json=value)


def delete(client: AdminClient, category: str, record_id: str) -> None:
    try:
        client.delete(f"{BASE}/{category}/{record_id}")
    except NotFoundError:
        raise NotFoundError(f"no {category} {record_id}") from None
