"""Composing the guest-list emails: a claim link for one seat, and the coordinator's name reminder."""

from datetime import datetime

from django.utils import timezone

from eventchain import crypto
from tickets.models import Ticket

from .. import compose, links
from ..compose import Composition, NothingToSend, support
from ..models import DeliveryMessage, MessageKind
from . import services


def _claim_link_email(message: DeliveryMessage) -> Composition:
    encrypted = message.context.get("url_encrypted")
    ticket = Ticket.objects.select_related("booking__event__venue", "package").filter(
        pk=message.context.get("ticket")).first()
    if not encrypted or ticket is None:
        raise NothingToSend("The claim link was withdrawn before it could be sent.")
    event = ticket.booking.event
    expires = timezone.localtime(datetime.fromisoformat(message.context["expires_at"]), event.tz)
    context = {
        "message": message, "url": crypto.decrypt_text(encrypted, purpose=services.CLAIM_PURPOSE),
        "event": event, "venue": event.venue, "ticket": ticket, "buyer": message.context.get("buyer", ""),
        "expires": expires, "support": support(), "recipient_name": message.recipient_name, "pixel_url": "",
    }
    return Composition(compose._message(message, "distribution/email/claim_link", context))


def _reminder_email(message: DeliveryMessage) -> Composition:
    booking = message.booking
    if booking is None:
        raise NothingToSend("The booking of this reminder no longer exists.")
    count = services.name_count(booking)
    if not count.missing:
        raise NothingToSend("Every guest was named before the reminder went out.")
    limits = services.deadlines(booking)
    event = booking.event
    tickets = list(Ticket.objects.filter(booking=booking).select_related("guest").order_by(
        "manifest_line_id", "seat_index", "id"))
    labels = services.ticket_labels(tickets)
    unnamed = [{"label": labels[t.pk], "place": t.place} for t in tickets
               if not t.guest_id and not t.revoked and t.package_id == booking.package_id]
    context = {
        "message": message, "booking": booking, "event": event, "count": count,
        "due": timezone.localtime(limits.names_due_at, event.tz) if limits.names_due_at else None,
        "unnamed": unnamed, "portal_url": links.portal_booking_url(booking.pk) + "#guests",
        "support": support(), "recipient_name": message.recipient_name, "pixel_url": "",
    }
    return Composition(compose._message(message, "distribution/email/name_reminder", context))


def _event_message_email(message: DeliveryMessage) -> Composition:
    """The body was rendered from staff's template when queued; the tickets' links are current."""
    body = message.context.get("body")
    if not body:
        raise NothingToSend("The message has no body.")
    tickets = list(message.tickets.filter(status__in=services.LIVE).select_related("event").order_by(
        "manifest_line_id", "seat_index", "id"))
    rows = [{"number": t.number, "place": t.place, "pdf_url": links.ticket_file_url(message.pk, t, "pdf")}
            for t in tickets]
    booking = message.booking
    context = {"message": message, "body": body, "tickets": rows, "support": support(), "pixel_url": "",
               "event": booking.event if booking else None, "recipient_name": message.recipient_name}
    return Composition(compose._message(message, "distribution/email/event_message", context),
                       ticket_ids=[t.pk for t in tickets])


def register() -> None:
    compose.COMPOSERS[MessageKind.CLAIM_LINK] = _claim_link_email
    compose.COMPOSERS[MessageKind.NAME_REMINDER] = _reminder_email
    compose.COMPOSERS[MessageKind.EVENT_MESSAGE] = _event_message_email
