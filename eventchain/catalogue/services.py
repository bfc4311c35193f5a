"""Writes to the event catalogue. Forms validate input; these save it with an audit entry."""

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import audit
from ..errors import ValidationFailed
from ..models import Event, Package, Venue
from ..roles import authorize


def _save(actor, instance, action: str, fields: dict, label: str):
    creating = instance.pk is None
    before = {name: str(getattr(instance, name)) for name in fields} if not creating else {}
    for name, value in fields.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationFailed.from_list(
            [{"field": field, "message": message} for field, messages in exc.message_dict.items()
             for message in messages]
        ) from exc
    with transaction.atomic():
        instance.save()
        changes = {
            name: {"from": before.get(name), "to": str(getattr(instance, name))}
            for name in fields
            if creating or before.get(name) != str(getattr(instance, name))
        }
        verb = "created" if creating else "updated"
        audit.record(actor, f"{action}.{verb}", f"{label} {instance} {verb}", target=instance, data=changes)
    return instance


def save_venue(*, actor, venue: Venue | None = None, **fields) -> Venue:
    authorize(actor, "manage_catalogue")
    return _save(actor, venue or Venue(), "venue", fields, "Venue")


def save_event(*, actor, event: Event | None = None, capability: str = "manage_catalogue", **fields) -> Event:
    """`capability`: an action that closes the event as one of its steps names its own (gate: manage_gate)."""
    authorize(actor, capability)
    return _save(actor, event or Event(), "event", fields, "Event")


def save_package(*, actor, package: Package | None = None, **fields) -> Package:
    authorize(actor, "manage_catalogue")
    return _save(actor, package or Package(), "package", fields, "Package")
