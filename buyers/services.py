"""Lane 02 writes: every business action on buyers, contacts, billing entities and bookings."""

from django.db import transaction
from django.utils import timezone

from eventchain import audit
from eventchain.errors import NotFound, StateConflict
from eventchain.lifecycle import BookingStatus

from . import lifecycle, signals
from .models import Booking


def transition(
    *, booking_id: int, to_status: str, actor, summary: str = "", data: dict | None = None
) -> Booking:
    """Move a booking to `to_status` if the lifecycle allows it; lock, write, audit, signal.

    Later lanes call this for their own moves (allocation: confirmed → allocated, and back on release).
    """
    if to_status not in BookingStatus.values:
        raise StateConflict(f"'{to_status}' is not a booking status; use one of {', '.join(BookingStatus.values)}.")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None:
            raise NotFound(f"Booking {booking_id} does not exist.")
        from_status = booking.status
        if not lifecycle.can_move(from_status, to_status):
            allowed = ", ".join(lifecycle.next_statuses(from_status)) or "none (it is final)"
            raise StateConflict(
                f"Booking {booking.reference} is {from_status}; it cannot move to {to_status}. "
                f"Allowed next: {allowed}."
            )
        _set_status(booking, to_status)
        audit.record(
            actor,
            f"booking.{to_status}",
            summary or f"Booking {booking.reference} moved from {from_status} to {to_status}",
            target=booking,
            data={"from": from_status, "to": to_status, **(data or {})},
        )
        signals.booking_status_changed.send(
            sender=Booking, booking=booking, from_status=from_status, to_status=to_status, actor=actor
        )
    return booking


def _set_status(booking: Booking, to_status: str) -> None:
    booking.status = to_status
    booking.status_changed_at = timezone.now()
    booking.save(update_fields=["status", "status_changed_at", "updated_at"])
