"""Kernel tables: audit log, outbox, jobs, API credentials and the event catalogue."""

from .access import ApiToken, IdempotencyRecord, RoleCapability
from .audit import AuditEntry
from .catalogue import Event, InventoryKind, Package, Venue
from .jobs import Job
from .outbox import OutboxAttempt, OutboxMessage
from .security import SignInPolicy, SignInThrottle, ThrottleScope
from .velocity import Flag, VelocityEvent

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Event",
    "Flag",
    "IdempotencyRecord",
    "InventoryKind",
    "Job",
    "OutboxAttempt",
    "OutboxMessage",
    "Package",
    "RoleCapability",
    "SignInPolicy",
    "SignInThrottle",
    "ThrottleScope",
    "Venue",
    "VelocityEvent",
]
