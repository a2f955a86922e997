"""Request handlers, one module per transaction family; importing registers them."""

from . import anoncreds, identity, ledger_reads, revocation  # noqa: F401
from .base import READS, WRITES, Nack, Reject, WriteHandler

__all__ = ["READS", "WRITES", "Nack", "Reject", "WriteHandler"]
