"""The wallet app's own records (history, consents, schemes, notices), stored as
StorageRecords in the agent's encrypted wallet: they go wherever the wallet goes and are
readable only with its key."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aries_cloudagent.core.profile import ProfileSession
from aries_cloudagent.storage.base import BaseStorage
from aries_cloudagent.storage.error import StorageNotFoundError
from aries_cloudagent.storage.record import StorageRecord

CATEGORIES = ("history", "consent", "scheme", "notice")
TAGGED_FIELDS = ("kind", "connection_id", "state", "policy", "scheme_id", "seen")


def record_type(category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    return f"ssi_wallet_{category}"


def _tags(value: dict[str, Any]) -> dict[str, str]:
    return {k: str(value[k]) for k in TAGGED_FIELDS if value.get(k) is not None}


async def add(session: ProfileSession, category: str, value: dict[str, Any]) -> dict[str, Any]:
    value = {**value, "id": value.get("id") or str(uuid.uuid4())}
    storage = session.inject(BaseStorage)
    await storage.add_record(
        StorageRecord(record_type(category), json.dumps(value), _tags(value), value["id"]))
    return value


async def get(session: ProfileSession, category: str, record_id: str) -> dict[str, Any] | None:
    storage = session.inject(BaseStorage)
    try:
        record = await storage.get_record(record_type(category), record_id)
    except StorageNotFoundError:
        return None
    return json.loads(record.value)


async def put(session: ProfileSession, category: str, record_id: str,
              value: dict[str, Any]) -> dict[str, Any] | None:
    storage = session.inject(BaseStorage)
    try:
        record = await storage.get_record(record_type(category), record_id)
    except StorageNotFoundError:
        return None
    value = {**value, "id": record_id}
    await storage.update_record(record, json.dumps(value), _tags(value))
    return value


async def delete(session: ProfileSession, category: str, record_id: str) -> bool:
    storage = session.inject(BaseStorage)
    try:
        record = await storage.get_record(record_type(category), record_id)
    except StorageNotFoundError:
        return False
    await storage.delete_record(record)
    return True


async def find(session: ProfileSession, category: str,
               query: dict[str, str] | None = None) -> list[dict[str, Any]]:
    storage = session.inject(BaseStorage)
    records = await storage.find_all_records(record_type(category), query or {})
    return [json.loads(record.value) for record in records]
