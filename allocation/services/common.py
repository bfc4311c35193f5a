"""Helpers every allocation service shares: who acted, notes on the booking, the intake record."""

from buyers.models import Booking
from eventchain.errors import StateConflict
from eventchain.lifecycle import BookingStatus

from ..models import AllocationNote, AllocationRequest, Area

# After the first manifest, stock may still change (a new manifest version) until tickets exist.
AMENDABLE = (BookingStatus.ALLOCATED, BookingStatus.INVOICED, BookingStatus.RELEASED)


def actor_label(actor) -> str:
    if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None):
        return actor.email or actor.get_username()
    return str(actor) if actor else "system"


def add_notes(booking: Booking, notes: list[tuple[str, str]], actor) -> list[str]:
    """Store each decision as a note on the booking; returns the messages in order."""
    label = actor_label(actor)
    AllocationNote.objects.bulk_create(
        AllocationNote(booking=booking, kind=kind, message=message[:500], actor_label=label) for kind, message in notes
    )
    return [message for _, message in notes]


def record_request(booking: Booking, *, outcome: str, message: str = "", source: str | None = None,
                   preferred_area: Area | None = None, requested_units: list[str] | None = None) -> None:
    defaults = {"outcome": outcome, "message": message[:500]}
    if source is not None:
        defaults["source"] = source
        defaults["preferred_area"] = preferred_area
        defaults["requested_units"] = requested_units or []
    AllocationRequest.objects.update_or_create(booking=booking, defaults=defaults)


def refuse_unless_allocatable(booking: Booking) -> None:
    """Only a confirmed booking takes fresh stock; explain what to do otherwise."""
    if booking.status == BookingStatus.CONFIRMED:
        return
    ref = booking.reference
    if booking.status == BookingStatus.DRAFT:
        raise StateConflict(f"{ref} is still a draft; confirm it in Buyers before allocating stock.")
    if booking.status in AMENDABLE:
        raise StateConflict(f"{ref} is already {booking.status} with a confirmed manifest; amend its allocation "
                            "instead of allocating again.")
    raise StateConflict(f"{ref} is {booking.status}; stock can no longer be allocated to it.")
