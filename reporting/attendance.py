"""Closing an event's attendance: every live ticket not admitted becomes a no-show, the event and its
delivered bookings close, and each buyer's outcome is computed and sent to the CRM."""

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from buyers import services as buyer_services
from buyers.models import Booking
from distribution.guestlists import messages as guest_messages
from eventchain import audit
from eventchain.catalogue import services as catalogue_services
from eventchain.errors import NotFound, StateConflict
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event
from eventchain.roles import authorize
from tickets.models import Ticket, TicketStatus

from . import outcomes
from .models import Attendance, BookingActivity
from .profile import record_activity, schedule_refresh

LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
BATCH = 2000


def close_event_attendance(*, actor, event_id: int, now=None) -> dict:
    """Record no-shows, close the event and its distributed bookings, queue the CRM outcomes. Once only."""
    authorize(actor, "manage_gate")
    now = now or timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().select_related("venue").filter(pk=event_id).first()
        if event is None:
            raise NotFound(f"Event {event_id} does not exist.")
        if event.status in (Event.Status.CLOSED, Event.Status.CANCELLED):
            raise StateConflict(f"{event.code} is already {event.get_status_display().lower()}.")
        if now < event.ends_at:
            local_end = event.ends_at.astimezone(event.tz).strftime("%-d %b %Y %H:%M")
            raise StateConflict(f"{event.code} ends at {local_end}; close attendance once it is over.")
        no_shows = _record_no_shows(event)
        catalogue_services.save_event(actor=actor, event=event, status=Event.Status.CLOSED, capability="manage_gate")
        closed = _close_bookings(event, actor)
        _note_bookings(event)
        sent = outcomes.record_event_outcomes(event=event, actor=actor)
        admitted = Attendance.objects.filter(event=event, status=Attendance.Status.ADMITTED).count()
        guest_messages.send_follow_ups(  # lane 06: attendee / no-show follow-up, if staff saved its wording
            event_id=event.pk, attended_ticket_ids=Attendance.objects.filter(
                event=event, status=Attendance.Status.ADMITTED).values_list("ticket_id", flat=True))
        summary = {"admitted": admitted, "no_show": no_shows, "bookings_closed": closed, "outcomes": sent}
        audit.record(actor, "attendance.closed",
                     f"Attendance of {event.code} closed: {admitted} admitted, {no_shows} no-shows", target=event,
                     data=summary)
    return summary


def _record_no_shows(event: Event) -> int:
    seen = Attendance.objects.filter(ticket_id=OuterRef("pk"))
    missing = (
        Ticket.objects.filter(event=event, status__in=LIVE).filter(~Exists(seen))
        .order_by("id").values_list("id", "booking_id").iterator(chunk_size=BATCH)
    )
    created = 0
    batch = []
    for ticket_id, booking_id in missing:
        batch.append(Attendance(ticket_id=ticket_id, event=event, booking_id=booking_id,
                                status=Attendance.Status.NO_SHOW))
        if len(batch) == BATCH:
            created += len(Attendance.objects.bulk_create(batch))
            batch = []
    if batch:
        created += len(Attendance.objects.bulk_create(batch))
    return created


def _close_bookings(event: Event, actor) -> int:
    ids = list(Booking.objects.filter(event=event, status=BookingStatus.DISTRIBUTED).values_list("id", flat=True))
    for booking_id in ids:
        buyer_services.transition(booking_id=booking_id, to_status=BookingStatus.CLOSED, actor=actor,
                                  summary=f"Event {event.code} is over; booking closed")
    return len(ids)


def _note_bookings(event: Event) -> None:
    """One attendance line per booking on the buyer profile (grouped in SQL; one row per booking)."""
    rows = (
        Attendance.objects.filter(event=event).order_by().values("booking")
        .annotate(admitted=Count("id", filter=Q(status=Attendance.Status.ADMITTED)),
                  no_show=Count("id", filter=Q(status=Attendance.Status.NO_SHOW)))
    )
    bookings = Booking.objects.in_bulk([row["booking"] for row in rows])
    for row in rows:
        booking = bookings[row["booking"]]
        total = row["admitted"] + row["no_show"]
        record_activity(booking, BookingActivity.Kind.ATTENDANCE,
                        f"Event over: {row['admitted']} of {total} guests attended, {row['no_show']} no-shows",
                        admitted=row["admitted"], no_show=row["no_show"])
        schedule_refresh(booking.pk)
