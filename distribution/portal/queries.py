"""Portal reads. Every function takes the buyer from `portal_scope(request)` first and filters by it;
a row of another buyer is indistinguishable from one that does not exist (Http404)."""

from django.db.models import Count, Q
from django.http import Http404

from buyers.models import Booking, Buyer
from finance.models import Invoice
from tickets.models import Guest, Ticket, TicketStatus

from ..models import DeliveryMessage


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404("Not found.") from exc


def bookings(buyer: Buyer):
    return (
        Booking.objects.filter(buyer=buyer)
        .select_related("event", "event__venue", "package")
        .annotate(
            live_tickets=Count("tickets", filter=Q(tickets__status__in=[TicketStatus.ISSUED, TicketStatus.SENT]),
                               distinct=True),
            guest_count=Count("guests", distinct=True),
        )
        .order_by("event__starts_at", "id")
    )


def booking(buyer: Buyer, booking_id) -> Booking:
    row = (Booking.objects.select_related("event", "event__venue", "package", "buyer")
           .filter(buyer=buyer, pk=_pk(booking_id)).first())
    if row is None:
        raise Http404("No such booking.")
    return row


def tickets(buyer: Buyer, booking_id, search: str = ""):
    rows = (
        Ticket.objects.filter(booking__buyer=buyer, booking_id=booking_id)
        .select_related("guest", "package", "event", "event__venue", "booking")
        .order_by("manifest_line_id", "seat_index", "id")
    )
    if search:
        rows = rows.filter(Q(number__icontains=search) | Q(guest__name__icontains=search)
                           | Q(guest__email__icontains=search) | Q(area__icontains=search)
                           | Q(unit_label__icontains=search) | Q(seat_label__icontains=search))
    return rows


def live_ticket_count(buyer: Buyer, booking_id) -> int:
    """Counted in the database: the booking page shows one page of tickets, not all of them."""
    return Ticket.objects.filter(booking__buyer=buyer, booking_id=booking_id,
                                 status__in=[TicketStatus.ISSUED, TicketStatus.SENT]).count()


def ticket(buyer: Buyer, ticket_id) -> Ticket:
    row = (Ticket.objects.select_related("guest", "package", "event", "event__venue", "booking", "booking__buyer")
           .filter(booking__buyer=buyer, pk=_pk(ticket_id)).first())
    if row is None:
        raise Http404("No such ticket.")
    return row


def guests(buyer: Buyer, booking_id):
    return Guest.objects.filter(booking__buyer=buyer, booking_id=booking_id).order_by("position")


def unassigned_guests(buyer: Buyer, booking_id, limit: int) -> list[Guest]:
    """Guests without a ticket yet, in list order: the only ones a ticket can be given to (a guest holds at most
    one ticket). At most `limit`, plus one more row that tells the page there are others."""
    return list(guests(buyer, booking_id).filter(tickets__isnull=True)[:limit + 1])


def guest(buyer: Buyer, booking_id, guest_id) -> Guest:
    row = Guest.objects.filter(booking__buyer=buyer, booking_id=_pk(booking_id), pk=_pk(guest_id)).first()
    if row is None:
        raise Http404("No such guest.")
    return row


def messages(buyer: Buyer, booking_id):
    return (DeliveryMessage.objects.filter(booking__buyer=buyer, booking_id=booking_id)
            .prefetch_related("tickets").order_by("-created_at", "-id"))


def message(buyer: Buyer, message_id) -> DeliveryMessage:
    row = DeliveryMessage.objects.filter(booking__buyer=buyer, pk=_pk(message_id)).select_related("booking").first()
    if row is None:
        raise Http404("No such message.")
    return row


def invoices(buyer: Buyer):
    return (
        Invoice.objects.filter(booking__buyer=buyer)
        .select_related("booking", "booking__event")
        .order_by("-issue_date", "-id")
    )


def invoice(buyer: Buyer, invoice_id) -> Invoice:
    row = (Invoice.objects.filter(booking__buyer=buyer, pk=_pk(invoice_id))
           .select_related("booking", "booking__event", "booking__event__venue")
           .prefetch_related("lines", "installments", "credit_notes", "payments").first())
    if row is None:
        raise Http404("No such invoice.")
    return row
