"""What every request handler shares: refusal exceptions and the handler registries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..auth import AuthRequest
    from ..state import DomainState


class Nack(Exception):
    """Refuse before ordering (malformed, bad signature): a REQNACK with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Reject(Exception):
    """Refuse after validation against state (authorization, duplicates): a REJECT."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LedgerView(Protocol):
    """What read handlers may ask of the ledger core."""

    state: DomainState

    def get_txn(self, ledger_id: int, seq_no: int) -> dict | None: ...


@dataclass(frozen=True)
class WriteHandler:
    """One write type: static checks, checks against state/authorization, and its txnId."""

    validate: Callable[[dict], None]
    authorize: Callable[[DomainState, dict, AuthRequest], None]
    txn_id: Callable[[dict], str | None]


ReadHandler = Callable[[LedgerView, dict], dict[str, Any]]

WRITES: dict[str, WriteHandler] = {}
READS: dict[str, ReadHandler] = {}


def require(cond: bool, reason: str) -> None:
    """Static validation helper: REQNACK with ``reason`` unless ``cond``."""
    if not cond:
        raise Nack(reason)


def read_result(
    request: dict, data: Any, seq_no: int | None = None, txn_time: int | None = None
) -> dict[str, Any]:
    """A read reply's ``result``: the operation's fields plus identifier, reqId and the answer."""
    result = dict(request["operation"])
    result.update(
        identifier=request.get("identifier"),
        reqId=request["reqId"],
        data=data,
        seqNo=seq_no,
        txnTime=txn_time,
    )
    return result
