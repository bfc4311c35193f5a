"""Velocity rules: too many actions on one subject in a window flag it and hold it for staff review.

A lane calls `observe(rule, subject=..., actor=...)` inside the transaction of the action it counts,
and `ensure_not_held(subject, action=...)` before an action a hold pauses. Each observation is a
`VelocityEvent` row (durable, auditable, counted with an index); the Nth one within the window
opens a `Flag`, and open or confirmed flags hold their subject until staff release them in the
review queue. Observations of one rule and subject are serialised (a transaction-scoped advisory
lock on PostgreSQL; SQLite serialises writers anyway), and a partial unique index keeps one open
flag per rule and subject even so.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from . import audit, locks
from .errors import NotFound, StateConflict, ValidationFailed
from .models import Flag, VelocityEvent
from .roles import authorize


@dataclass(frozen=True)
class Rule:
    name: str
    subject_type: str
    title: str
    noun: str  # what is counted, plural: "reissues"
    threshold: int
    window: int  # seconds

    @property
    def enabled(self) -> bool:
        return self.threshold > 0 and self.window > 0

    @property
    def summary(self) -> str:
        return f"{self.threshold} {self.noun} in {describe_window(self.window)}"


@dataclass(frozen=True)
class Subject:
    """What a rule counts against: a type ("ticket"), an id, and how a reviewer sees and finds it."""

    type: str
    id: str
    label: str
    url: str = ""


# Rule name → (subject type, title for reviewers, what is counted). Thresholds come from settings.
RULES: dict[str, tuple[str, str, str]] = {
    "ticket_reissues": ("ticket", "Many reissues of one ticket", "reissues"),
    "buyer_transfers": ("buyer", "Many transfers by one buyer", "transfers"),
    "session_downloads": ("portal_session", "Bulk downloads from one portal session", "downloads"),
    "device_failed_scans": ("gate_device", "Repeated failed scans from one device", "failed scans"),
}
DEFAULTS = {
    "ticket_reissues": {"threshold": 3, "window": 24 * 3600},
    "buyer_transfers": {"threshold": 5, "window": 3600},
    "session_downloads": {"threshold": 50, "window": 10 * 60},
    "device_failed_scans": {"threshold": 10, "window": 5 * 60},
}


def describe_window(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def rule(name: str) -> Rule:
    if name not in RULES:
        raise ValueError(f"Unknown velocity rule {name!r}; known rules: {', '.join(RULES)}.")
    subject_type, title, noun = RULES[name]
    configured = {**DEFAULTS[name], **getattr(settings, "EVENTCHAIN_VELOCITY_RULES", {}).get(name, {})}
    return Rule(name, subject_type, title, noun, int(configured["threshold"]), int(configured["window"]))


def all_rules() -> list[Rule]:
    return [rule(name) for name in RULES]


def support_contact() -> str:
    return (getattr(settings, "EVENTCHAIN_SUPPORT_EMAIL", "") or os.environ.get("EVENTCHAIN_SUPPORT_EMAIL")
            or "support@eventchain.local")


def _actor_label(actor) -> str:
    if getattr(actor, "pk", None) and hasattr(actor, "email"):
        return actor.email or str(actor.pk)
    return str(actor or "system")[:200]


def _serialise(rule_name: str, subject: Subject) -> None:
    """Hold a transaction-scoped lock for this rule and subject so concurrent observations count in turn."""
    locks.advisory_xact_lock(("velocity", f"{rule_name}:{subject.type}:{subject.id}"))


def observe(rule_name: str, *, subject: Subject, actor=None) -> Flag | None:
    """Count one action; when it is the threshold-th within the window, open a flag (held) and return it.

    The action that reaches the threshold itself goes ahead; the hold pauses the ones after it. Actions
    before the subject's last release do not count again, so a release gives a fresh window.
    """
    current = rule(rule_name)
    if not current.enabled:
        return None
    now = timezone.now()
    with transaction.atomic():
        _serialise(rule_name, subject)
        VelocityEvent.objects.create(rule=rule_name, subject_type=subject.type, subject_id=subject.id,
                                     actor_label=_actor_label(actor), at=now)
        events = VelocityEvent.objects.filter(rule=rule_name, subject_type=subject.type, subject_id=subject.id,
                                              at__gt=now - timedelta(seconds=current.window))
        if events.count() < current.threshold:
            return None
        flags = Flag.objects.filter(rule=rule_name, subject_type=subject.type, subject_id=subject.id)
        if flags.filter(status__in=Flag.HOLDING).exists():
            return None  # already held for this rule: one flag is enough to review
        released = flags.filter(status=Flag.Status.RELEASED).aggregate(at=Max("reviewed_at"))["at"]
        if released is not None:
            events = events.filter(at__gt=released)
        counted = list(events.order_by("at").values_list("at", flat=True))
        if len(counted) < current.threshold:
            return None
        return _open_flag(current, subject, counted, actor)


def _open_flag(current: Rule, subject: Subject, counted: list, actor) -> Flag | None:
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                rule=current.name, subject_type=subject.type, subject_id=subject.id,
                subject_label=subject.label[:200], subject_url=subject.url[:300], count=len(counted),
                threshold=current.threshold, window_seconds=current.window, first_at=counted[0],
                data={"last_actor": _actor_label(actor)},
            )
    except IntegrityError:
        return None  # another observation opened it first
    audit.record(actor, "velocity.flagged",
                 f"{subject.label} held for review: {len(counted)} {current.noun} in "
                 f"{describe_window(current.window)} ({current.title.lower()})",
                 target=flag, data={"rule": current.name, "subject_type": subject.type, "subject_id": subject.id,
                                    "count": len(counted), "threshold": current.threshold,
                                    "window": current.window})
    return flag


# Holds ---------------------------------------------------------------------------------------------

def holding_flag(subject_type: str, subject_id) -> Flag | None:
    """The flag holding this subject (open or confirmed), or None. One indexed query."""
    return (Flag.objects.filter(subject_type=subject_type, subject_id=str(subject_id), status__in=Flag.HOLDING)
            .order_by("-created_at").first())


def held_ids(subject_type: str, ids) -> set[str]:
    """Which of these subjects are held: one query for a whole list page."""
    ids = [str(i) for i in ids]
    if not ids:
        return set()
    return set(Flag.objects.filter(subject_type=subject_type, subject_id__in=ids, status__in=Flag.HOLDING)
               .values_list("subject_id", flat=True))


def hold_message(flag: Flag, *, label: str, action: str) -> str:
    current = rule(flag.rule)
    return (f"{label} is held for review after unusual activity ({flag.count} {current.noun} in "
            f"{describe_window(flag.window_seconds)}); {action} is paused until our staff release it. "
            f"Contact {support_contact()} if you need it sooner.")


def ensure_not_held(subject: Subject, *, action: str) -> None:
    """StateConflict (409) naming the hold and whom to contact, when the subject is held."""
    flag = holding_flag(subject.type, subject.id)
    if flag is not None:
        raise StateConflict(hold_message(flag, label=subject.label, action=action))


# Review ---------------------------------------------------------------------------------------------

def _review(*, actor, flag_id, note: str, status: str, allowed: tuple, verb: str) -> Flag:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("Write a note saying what you checked and why you decided this.", field="note")
    with transaction.atomic():
        flag = Flag.objects.select_for_update().filter(pk=flag_id).first()
        if flag is None:
            raise NotFound("That flag does not exist.")
        if flag.status not in allowed:
            raise StateConflict(f"This flag is already {flag.get_status_display().lower()}; reload the queue.")
        before = flag.status
        flag.status = status
        flag.reviewed_by = actor if getattr(actor, "pk", None) else None
        flag.reviewed_at = timezone.now()
        flag.note = note[:2000]
        flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "note"])
        audit.record(actor, f"velocity.{verb}", f"{flag.subject_label}: flag {verb} ({rule(flag.rule).title.lower()})",
                     target=flag, data={"rule": flag.rule, "from": before, "to": status, "note": flag.note,
                                        "subject_type": flag.subject_type, "subject_id": flag.subject_id})
    return flag


def release_flag(*, actor, flag_id, note: str) -> Flag:
    """Lift the hold: the subject may act again, and counting starts afresh from now."""
    authorize(actor, "review_flags")
    return _review(actor=actor, flag_id=flag_id, note=note, status=Flag.Status.RELEASED,
                   allowed=(Flag.Status.OPEN, Flag.Status.CONFIRMED), verb="released")


def confirm_flag(*, actor, flag_id, note: str) -> Flag:
    """Agree it is abuse: the flag leaves the open queue and the hold stays (e.g. before revoking)."""
    authorize(actor, "review_flags")
    return _review(actor=actor, flag_id=flag_id, note=note, status=Flag.Status.CONFIRMED,
                   allowed=(Flag.Status.OPEN,), verb="confirmed")


def open_count() -> int:
    return Flag.objects.filter(status=Flag.Status.OPEN).count()
