"""The one-line audit call every service makes."""

from typing import Any

from django.db import models

from .models import AuditEntry


def entry(
    actor: Any,
    action: str,
    summary: str,
    *,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    data: dict | None = None,
) -> AuditEntry:
    """An unsaved audit entry; `record` saves one, `record_all` saves several with one statement."""
    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    label = "" if user else (str(actor) if actor else "system")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk
    return AuditEntry(
        actor=user,
        actor_label=label[:200],
        action=action,
        summary=summary[:500],
        object_type=object_type,
        object_id=str(object_id or ""),
        data=data or {},
    )


def record(actor: Any, action: str, summary: str, **details) -> AuditEntry:
    """Write an audit entry. `actor` is a staff user, a label such as "crm-webhook", or None for the system."""
    written = entry(actor, action, summary, **details)
    written.save()
    return written


def record_all(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Write the entries of one composed action (built with `entry`) in one INSERT, in their order."""
    return AuditEntry.objects.bulk_create(entries) if entries else []
