"""Lane 05 reads reused by the API, console and later lanes (gate, distribution, reports)."""

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from buyers.models import Booking
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event

from . import keys, rendering
from .models import Guest, Ticket, TicketCode, TicketStatus

DOWNLOADABLE = (TicketStatus.ISSUED, TicketStatus.SENT)


def booking_tickets(booking_id):
    return (
        Ticket.objects.filter(booking_id=booking_id)
        .select_related("guest", "package")
        .order_by("manifest_line_id", "seat_index", "id")
    )


def booking_guests(booking_id):
    return Guest.objects.filter(booking_id=booking_id).order_by("position")


def ticket(ticket_id) -> Ticket | None:
    try:
        pk = int(ticket_id)
    except (TypeError, ValueError):
        return None
    return (
        Ticket.objects.select_related("event", "event__venue", "booking", "package", "guest")
        .filter(pk=pk).first()
    )


def booking(booking_id) -> Booking | None:
    try:
        pk = int(booking_id)
    except (TypeError, ValueError):
        return None
    return Booking.objects.select_related("event", "event__venue", "package", "buyer").filter(pk=pk).first()


def absolute(path: str) -> str:
    return f"{settings.EVENTCHAIN_BASE_URL}{path}"


def pdf_url(ticket: Ticket) -> str | None:
    return absolute(f"/api/v1/tickets/{ticket.pk}/pdf") if ticket.status in DOWNLOADABLE else None


def pkpass_url(ticket: Ticket) -> str | None:
    if ticket.status not in DOWNLOADABLE or rendering.apple_signer() is None:
        return None
    return absolute(f"/api/v1/tickets/{ticket.pk}/pkpass")


def booking_pdf_url(booking_id) -> str:
    return absolute(f"/api/v1/bookings/{booking_id}/tickets/pdf")


def serialize_ticket(ticket: Ticket) -> dict:
    guest = ticket.guest
    live = ticket.status in DOWNLOADABLE
    return {
        "id": str(ticket.pk),
        "number": ticket.number,
        "code": ticket.code if live else None,
        "status": ticket.status,
        "guest": {"id": str(guest.pk), "name": guest.name, "email": guest.email} if guest else None,
        "unit": ticket.unit_label,
        "area": ticket.area,
        "seat": ticket.seat_label,
        "package": ticket.package.code,
        "entitlements": list(ticket.entitlements),
        "channel": ticket.channel,
        "pdf_url": pdf_url(ticket),
        "pkpass_url": pkpass_url(ticket),
        "google_save_url": (ticket.google_save_url or None) if live else None,
        "generation": ticket.generation,
    }


def gate_bundle(event: Event) -> dict:
    """What a scanner needs to check this event's codes offline (API.md: gate-bundle)."""
    revoked = (
        TicketCode.objects.filter(event=event, revoked_at__isnull=False)
        .order_by("ticket_id", "generation").values_list("ticket_id", "generation")
    )
    return {
        "event": event.code,
        "event_id": event.pk,
        "public_keys": [
            {"kid": str(key.key_id), "ed25519_public_key": key.public_key, "retired": key.retired_at is not None}
            for key in keys.public_keys(event.pk)
        ],
        "revoked": [{"ticket": str(ticket_id), "generation": generation} for ticket_id, generation in revoked],
        "generated_at": timezone.now().isoformat(),
    }


def bookings_for_tickets(search: str = "", state: str = "ready"):
    """Console list: bookings ready to issue (released) or already issued onwards, with ticket counts."""
    statuses = {
        "ready": [BookingStatus.RELEASED],
        "issued": [BookingStatus.ISSUED, BookingStatus.DISTRIBUTED, BookingStatus.CLOSED],
    }.get(state, [BookingStatus.RELEASED])
    rows = (
        Booking.objects.filter(status__in=statuses)
        .select_related("buyer", "event", "package")
        .annotate(
            ticket_count=Count("tickets", filter=~Q(tickets__status=TicketStatus.REVOKED), distinct=True),
            guest_count=Count("guests", distinct=True),
        )
        .order_by("event__starts_at", "-status_changed_at", "id")
    )
    if search:
        query = Q(buyer__name__icontains=search) | Q(event__code__iexact=search) | Q(po_number__icontains=search)
        digits = search.upper().removeprefix("BK-").lstrip("0")
        if digits.isdigit():
            query |= Q(pk=int(digits))
        rows = rows.filter(query)
    return rows
