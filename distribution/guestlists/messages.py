"""The three messages of an event: confirmation after allocation, pre-event logistics N days before, and the
post-event follow-up (different for attendees and no-shows). Staff edit each per event, optionally per
package (VIP content); each goes to each recipient of a booking once (EventMessageSent)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.template import Context, Engine
from django.utils import timezone

from buyers.models import Booking
from eventchain import audit
from eventchain.errors import ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.roles import authorize
from tickets.models import Ticket, TicketStatus

from ..models import MessageKind
from ..services import sending
from .models import EventMessage, EventMessageSent

LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
KINDS = EventMessage.Kind
# Staff templates: Django syntax without tags that load or include files.
ENGINE = Engine(builtins=[], autoescape=False, libraries={})

DEFAULTS = {
    KINDS.CONFIRMATION: (
        "Booking confirmed: {{ event }} ({{ reference }})",
        "Hello {{ name }},\n\nYour booking {{ reference }} for {{ event }} is confirmed: {{ package }} for "
        "{{ headcount }} guests.\n\nWhat happens next: we send the invoice; once it is paid as agreed your tickets "
        "are issued. Name your guests any time in the buyer portal, or send each one a claim link.\n",
    ),
    KINDS.LOGISTICS: (
        "{{ event }} is on {{ starts }}: how to get there",
        "Hello {{ name }},\n\n{{ event }} is on {{ starts }} at {{ venue }}.\n\nGates, parking and access: "
        "{{ venue }}, arrive early.\nIncluded with your package: {{ entitlements }}.\n\nYour ticket{{ plural }}: "
        "{{ tickets }}\n",
    ),
    KINDS.FOLLOWUP_ATTENDED: (
        "Thank you for coming to {{ event }}",
        "Hello {{ name }},\n\nThank you for joining us at {{ event }}. We hope you enjoyed the day.\n",
    ),
    KINDS.FOLLOWUP_NO_SHOW: (
        "We missed you at {{ event }}",
        "Hello {{ name }},\n\nWe missed you at {{ event }}. We hope to see you at the next one.\n",
    ),
}


def template_for(event, kind: str, package=None) -> tuple[str, str, int]:
    """(subject, body, days_before): the package's own version, else the event's, else the default."""
    rows = {row.package_id: row for row in EventMessage.objects.filter(event=event, kind=kind)}
    row = rows.get(getattr(package, "pk", None)) or rows.get(None)
    if row is not None:
        return row.subject, row.body, row.days_before
    subject, body = DEFAULTS[kind]
    return subject, body, 3


def _render(source: str, values: dict) -> str:
    return ENGINE.from_string(source).render(Context(values))


def render(*, booking: Booking, kind: str, name: str, tickets: list[Ticket], subject: str | None = None,
           body: str | None = None) -> tuple[str, str]:
    if subject is None or body is None:
        subject, body, _ = template_for(booking.event, kind, booking.package)
    event = booking.event
    local = timezone.localtime(event.starts_at, event.tz)
    entitlements = sorted({item for ticket in tickets for item in (ticket.entitlements or [])}) or \
        list(booking.package.entitlements or [])
    values = {
        "name": name or "there", "event": event.name, "reference": booking.reference, "venue": event.venue.name,
        "package": booking.package.name, "headcount": booking.headcount, "starts": f"{local:%A %-d %B %Y, %-I:%M %p}",
        "entitlements": ", ".join(entitlements) or "see your ticket",
        "tickets": ", ".join(f"{t.number} ({t.place})" for t in tickets) or "in the buyer portal",
        "plural": "s" if len(tickets) != 1 else "", "buyer": booking.buyer.name,
    }
    return " ".join(_render(subject, values).split())[:300], _render(body, values)


def preview(*, booking: Booking, kind: str, subject: str, body: str) -> dict:
    """Staff's draft rendered for a real booking of the event (its primary contact and tickets)."""
    contact = sending.primary_contact(booking)
    tickets = list(Ticket.objects.filter(booking=booking, status__in=LIVE).order_by("manifest_line_id", "seat_index"))
    rendered_subject, rendered_body = render(booking=booking, kind=kind, name=contact.name if contact else "",
                                             tickets=tickets, subject=subject, body=body)
    return {"booking": booking, "subject": rendered_subject, "body": rendered_body}


def validate(subject: str, body: str) -> None:
    from django.template import TemplateSyntaxError

    for field, source in (("subject", subject), ("body", body)):
        try:
            ENGINE.from_string(source)
        except TemplateSyntaxError as exc:
            raise ValidationFailed(f"cannot be read: {exc}", field=field) from exc


def save_template(*, event, kind: str, subject: str, body: str, days_before: int = 3, package=None,
                  actor) -> EventMessage:
    authorize(actor, "distribute_tickets")
    if kind not in KINDS.values:
        raise ValidationFailed(f"Use one of {', '.join(KINDS.values)}.", field="kind")
    validate(subject, body)
    with transaction.atomic():
        row, _ = EventMessage.objects.update_or_create(
            event=event, kind=kind, package=package,
            defaults={"subject": subject, "body": body, "days_before": days_before},
        )
        audit.record(actor, "guestlists.message_template_saved", f"{event.code}: {row.get_kind_display()} template",
                     target=event, data={"package": getattr(package, "code", None)})
    return row


def enabled(event, kind: str) -> bool:
    """A message goes out automatically once staff have saved its wording for the event."""
    return EventMessage.objects.filter(event=event, kind=kind).exists()


def _queue(booking: Booking, kind: str, email: str, name: str, tickets: list[Ticket]) -> bool:
    """Queue one message once per (booking, kind, recipient); False when it was sent before."""
    email = email.strip().lower()
    subject, body = render(booking=booking, kind=kind, name=name, tickets=tickets)
    try:
        with transaction.atomic():
            EventMessageSent.objects.create(booking=booking, kind=kind, recipient_email=email)
            sending.queue_message(kind=MessageKind.EVENT_MESSAGE, recipient_email=email, recipient_name=name,
                                  subject=subject, booking=booking, ticket_ids=[t.pk for t in tickets],
                                  requested_by="system", context={"template": kind, "body": body})
    except IntegrityError:
        return False
    return True


def send_confirmation(booking: Booking) -> bool:
    contact = sending.primary_contact(booking)
    if contact is None or not enabled(booking.event, KINDS.CONFIRMATION):
        return False
    return _queue(booking, KINDS.CONFIRMATION, contact.email, contact.name, [])


def _recipients(booking: Booking) -> list[tuple[str, str, list[Ticket]]]:
    """Each guest with an email gets their own ticket; the primary contact gets the rest."""
    tickets = list(Ticket.objects.filter(booking=booking, status__in=LIVE).select_related("guest")
                   .order_by("manifest_line_id", "seat_index", "id"))
    out, rest = [], []
    for ticket in tickets:
        if ticket.guest_id and ticket.guest.email:
            out.append((ticket.guest.email, ticket.guest.name, [ticket]))
        else:
            rest.append(ticket)
    contact = sending.primary_contact(booking)
    if rest and contact is not None:
        out.append((contact.email, contact.name, rest))
    return out


def send_due_logistics(now=None) -> int:
    """Periodic: the logistics message for events starting within their `days_before`, once per recipient."""
    now = now or timezone.now()
    count = 0
    bookings = (Booking.objects.filter(status__in=[BookingStatus.ISSUED, BookingStatus.DISTRIBUTED],
                                       event__starts_at__gt=now, event__starts_at__lte=now + timedelta(days=30))
                .select_related("event", "event__venue", "package", "buyer"))
    for booking in bookings:
        _, _, days = template_for(booking.event, KINDS.LOGISTICS, booking.package)
        if not enabled(booking.event, KINDS.LOGISTICS) or now < booking.event.starts_at - timedelta(days=days):
            continue
        for email, name, tickets in _recipients(booking):
            count += _queue(booking, KINDS.LOGISTICS, email, name, tickets)
    return count


def send_follow_ups(*, event_id, attended_ticket_ids) -> int:
    """After attendance is closed: attendees and no-shows each get their version (lane 07 knows who came)."""
    if not EventMessage.objects.filter(event_id=event_id,
                                       kind__in=[KINDS.FOLLOWUP_ATTENDED, KINDS.FOLLOWUP_NO_SHOW]).exists():
        return 0
    attended = set(attended_ticket_ids)
    count = 0
    for booking in Booking.objects.filter(event_id=event_id).exclude(status=BookingStatus.CANCELLED).select_related(
            "event", "event__venue", "package", "buyer"):
        for email, name, tickets in _recipients(booking):
            kind = KINDS.FOLLOWUP_ATTENDED if any(t.pk in attended for t in tickets) else KINDS.FOLLOWUP_NO_SHOW
            if enabled(booking.event, kind):
                count += _queue(booking, kind, email, name, tickets)
    return count
