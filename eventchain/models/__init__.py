"""Kernel tables: audit log, outbox, jobs, API credentials and the event catalogue."""

from .access import ApiToken, IdempotencyRecord, RoleCapability
from .audit import AuditEntry
from .catalogue import Event, InventoryKind, Package, Venue
from .jobs import Job
from .outbox import OutboxAttempt, OutboxMessage

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Event",
    "IdempotencyRecord",
    "InventoryKind",
    "Job",
    "OutboxAttempt",
    "OutboxMessage",
    "Package",
    "RoleCapability",
    "Venue",
]
