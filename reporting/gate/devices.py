"""Scanner device tokens: one per event and gate, shown once, stored as SHA-256, revocable.

Gate tokens start with `ecg_` and live in their own table, so a staff API token never opens the gate
API and a gate token never acts as a staff user.
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from eventchain import audit
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.models import Event
from eventchain.roles import authorize

from ..models import GateDevice, GateSettings
from .reads import Scanner, scanner_for

TOKEN_PREFIX = "ecg_"
# last_seen_at is a hint for staff, not an audit trail: write it at most this often per device.
SEEN_RESOLUTION_SECONDS = 60


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_gate_device(*, actor, event_code: str, gate: str) -> tuple[GateDevice, str]:
    """A new scanner token for `gate` at the event; returns the row and the token, which is never shown again."""
    authorize(actor, "manage_gate")
    gate = (gate or "").strip()
    if not gate:
        raise ValidationFailed("Name the gate the scanner works at, e.g. 'Gate A'.", field="gate")
    if len(gate) > 100:
        raise ValidationFailed("Keep the gate name under 100 characters.", field="gate")
    event = Event.objects.filter(code=(event_code or "").strip().upper()).first()
    if event is None:
        raise NotFound(f"No event has the code {event_code!r}.", field="event")
    if event.status in (Event.Status.CLOSED, Event.Status.CANCELLED):
        raise StateConflict(f"{event.code} is {event.get_status_display().lower()}; its gates no longer scan.",
                            field="event")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        device = GateDevice.objects.create(event=event, gate=gate, prefix=raw[:10], token_hash=hash_token(raw),
                                           created_by=actor if getattr(actor, "pk", None) else None)
        audit.record(actor, "gate.device_created", f"Scanner token for {gate} at {event.code} created",
                     target=device, data={"event": event.code, "gate": gate})
    return device, raw


def revoke_gate_device(*, actor, device_id: int) -> GateDevice:
    authorize(actor, "manage_gate")
    with transaction.atomic():
        device = GateDevice.objects.select_for_update().select_related("event").filter(pk=device_id).first()
        if device is None:
            raise NotFound("That scanner token does not exist.")
        if device.revoked_at:
            raise StateConflict("That scanner token is already revoked.")
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        audit.record(actor, "gate.device_revoked", f"Scanner token for {device.gate} at {device.event.code} revoked",
                     target=device)
    return device


def authenticate(raw: str) -> Scanner | None:
    """The active scanner behind a gate token, with its event's gate rules, in one query."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    device = scanner_for(hash_token(raw))
    if device is None:
        return None
    now = timezone.now()
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > SEEN_RESOLUTION_SECONDS:
        GateDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
    return device


def save_gate_settings(*, actor, event_id: int, allow_reentry: bool) -> GateSettings:
    authorize(actor, "manage_gate")
    with transaction.atomic():
        settings, _ = GateSettings.objects.select_for_update().get_or_create(event_id=event_id)
        before = settings.allow_reentry
        settings.allow_reentry = bool(allow_reentry)
        settings.updated_by = actor if getattr(actor, "pk", None) else None
        settings.save()
        if before != settings.allow_reentry:
            audit.record(actor, "gate.settings_changed",
                         f"Re-entry {'allowed' if settings.allow_reentry else 'not allowed'} at event {event_id}",
                         target=settings, data={"allow_reentry": settings.allow_reentry})
    return settings
