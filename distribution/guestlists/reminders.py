"""Name reminders to a booking's coordinator 14, 7 and 3 days before its name deadline, each once.

The beat task may run late or often: only the latest stage due is sent; stages it passed over are
recorded as not sent so they never go out afterwards.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from buyers.models import Booking
from eventchain import audit
from eventchain.lifecycle import BookingStatus

from ..models import MessageKind
from ..services import sending
from . import services
from .models import ReminderSent

STAGES = (14, 7, 3)
FINISHED = (BookingStatus.CANCELLED, BookingStatus.CLOSED, BookingStatus.DRAFT)


def _candidates(now):
    """Open bookings for future events that have a name deadline (the event's or their own)."""
    return (
        Booking.objects.exclude(status__in=FINISHED)
        .select_related("event", "event__venue", "buyer", "package", "event__name_policy", "name_override")
        .filter(Q(event__name_policy__isnull=False) | Q(name_override__names_due_at__isnull=False),
                event__starts_at__gt=now)
        .annotate(guest_total=Count("guests", distinct=True))
        .order_by("event__starts_at", "id")
    )


def send_due(now=None) -> int:
    """Queue every reminder due now; returns how many were queued."""
    now = now or timezone.now()
    return sum(_remind(booking, now) for booking in _candidates(now))


def _remind(booking: Booking, now) -> int:
    due_at = services.deadlines(booking).names_due_at
    if due_at is None or now >= due_at:
        return 0
    due = [days for days in STAGES if now >= due_at - timedelta(days=days)]
    if not due:
        return 0
    count = services.name_count(booking)
    latest = min(due)
    done = set(ReminderSent.objects.filter(booking=booking, names_due_at=due_at).values_list("days_before", flat=True))
    if latest in done:
        return 0
    contact = sending.primary_contact(booking)
    send = bool(count.missing) and contact is not None
    try:
        with transaction.atomic():
            for days in due:
                if days not in done:
                    ReminderSent.objects.create(booking=booking, names_due_at=due_at, days_before=days,
                                                missing=count.missing, sent=send and days == latest)
            if send:
                sending.queue_message(
                    kind=MessageKind.NAME_REMINDER, recipient_email=contact.email, recipient_name=contact.name,
                    subject=f"{count} for {booking.event.name} ({booking.reference})", booking=booking,
                    requested_by="system", context={"days_before": latest},
                )
                audit.record(None, "guestlists.reminder_sent",
                             f"{booking.reference}: name reminder {latest} days before the deadline",
                             target=booking, data={"missing": count.missing})
    except IntegrityError:  # another worker recorded this stage first
        return 0
    return 1 if send else 0


def follow_up_queue(now=None):
    """Bookings past their name deadline with names still missing, for the sales agents."""
    now = now or timezone.now()
    rows = []
    for booking in _candidates(now):
        limits = services.deadlines(booking)
        if limits.names_due_at is None or now < limits.names_due_at:
            continue
        count = services.name_count(booking)
        if count.missing:
            rows.append({"booking": booking, "count": count, "deadlines": limits})
    return rows
