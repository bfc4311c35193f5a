"""Build the email for a DeliveryMessage: HTML (CSS inlined in the templates) plus a plain-text part.

Composed at send time, not when queued, so a message waiting out a mail-server outage carries each
ticket's current code and a ticket revoked meanwhile is left out.
"""

from dataclasses import dataclass, field
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from eventchain import crypto
from tickets import content, downloads
from tickets.models import Ticket, TicketStatus

from . import conf, links
from .models import DeliveryMessage, MessageKind

LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
PDF, PKPASS = "application/pdf", "application/vnd.apple.pkpass"
# Sign-in links wait in the outbox encrypted, and are wiped once the mail server has them.
LINK_PURPOSE = "distribution.portal-link"


class NothingToSend(Exception):
    """Every ticket the message was about has been revoked since it was queued."""


@dataclass
class Attachment:
    filename: str
    data: bytes
    mimetype: str


@dataclass
class Composition:
    email: EmailMultiAlternatives
    attachment_bytes: int = 0
    attached: bool = True
    ticket_ids: list[int] = field(default_factory=list)


def support() -> dict:
    return {"email": conf.get("EVENTCHAIN_SUPPORT_EMAIL"), "phone": conf.get("EVENTCHAIN_SUPPORT_PHONE")}


def _live_tickets(message: DeliveryMessage) -> list[Ticket]:
    return list(
        message.tickets.filter(status__in=LIVE)
        .select_related("event", "event__venue", "package", "guest", "booking")
        .order_by("manifest_line_id", "seat_index", "id")
    )


def _files(message: DeliveryMessage, tickets: list[Ticket]) -> list[Attachment]:
    files = []
    if len(tickets) > 1:
        booking = tickets[0].booking
        path = downloads.booking_pdf(tickets)
        files.append(Attachment(f"{booking.reference}-tickets.pdf", path.read_bytes(), PDF))
    else:
        path = downloads.ticket_pdf(tickets[0])
        files.append(Attachment(f"{tickets[0].number}.pdf", path.read_bytes(), PDF))
    for ticket in tickets:
        pkpass = downloads.ticket_pkpass(ticket)
        if pkpass is not None:
            files.append(Attachment(f"{ticket.number}.pkpass", pkpass.read_bytes(), PKPASS))
    return files


def _ticket_rows(message: DeliveryMessage, tickets: list[Ticket], apple: bool) -> list[dict]:
    rows = []
    for ticket in tickets:
        rows.append({
            "number": ticket.number,
            "guest": ticket.guest.name if ticket.guest else "",
            "place": ticket.place,
            "package": ticket.package.name,
            "entitlements": list(ticket.entitlements or []),
            "pdf_url": links.ticket_file_url(message.pk, ticket, "pdf"),
            "pkpass_url": links.ticket_file_url(message.pk, ticket, "pkpass") if apple else "",
            "google_url": links.ticket_file_url(message.pk, ticket, "google") if ticket.google_save_url else "",
        })
    return rows


def _what_to_bring(tickets: list[Ticket]) -> list[str]:
    items = [
        "Your ticket: the PDF printed or on your phone, or the pass in your wallet app. "
        "Each guest needs their own ticket to enter.",
        "Photo ID matching the name on the ticket.",
    ]
    extras = sorted({item for ticket in tickets for item in (ticket.entitlements or [])})
    if extras:
        items.append("Included with your package: " + ", ".join(extras) + ".")
    return items


def _ticket_email(message: DeliveryMessage) -> Composition:
    tickets = _live_tickets(message)
    if not tickets:
        raise NothingToSend("Every ticket in this message has been revoked since it was queued; nothing was sent.")
    event = tickets[0].event
    booking = tickets[0].booking
    design = content.design_row(event)
    files = _files(message, tickets)
    size = sum(len(item.data) for item in files)
    attached = size <= conf.get("EVENTCHAIN_EMAIL_ATTACHMENT_LIMIT")
    apple = any(item.mimetype == PKPASS for item in files)
    context = {
        "message": message, "kind": message.kind, "event": event, "venue": event.venue, "booking": booking,
        "tickets": _ticket_rows(message, tickets, apple), "count": len(tickets), "attached": attached,
        "bundle_url": (links.bundle_url(message.pk, booking.pk, [(t.pk, t.generation) for t in tickets])
                       if len(tickets) > 1 else ""),
        "portal_url": links.portal_booking_url(booking.pk), "pixel_url": links.pixel_url(message.pk),
        "what_to_bring": _what_to_bring(tickets), "support": support(), "design": design,
        "recipient_name": message.recipient_name, "reissued": message.context.get("reason") == "reissued",
        "note": message.context.get("note", ""),
    }
    email = _message(message, "distribution/email/tickets", context)
    if attached:
        for item in files:
            email.attach(item.filename, item.data, item.mimetype)
    return Composition(email, size if attached else 0, attached, [t.pk for t in tickets])


def _magic_link_email(message: DeliveryMessage) -> Composition:
    accounts = [
        {"name": account["name"], "url": crypto.decrypt_text(account["url_encrypted"], purpose=LINK_PURPOSE)}
        for account in message.context.get("accounts", []) if account.get("url_encrypted")
    ]
    if not accounts:
        raise NothingToSend("The sign-in link was already sent or has been withdrawn.")
    context = {"message": message, "accounts": accounts,
               "minutes": message.context.get("minutes"), "support": support(), "recipient_name": message.recipient_name,
               "pixel_url": ""}
    return Composition(_message(message, "distribution/email/magic_link", context))


def _message(message: DeliveryMessage, template: str, context: dict) -> EmailMultiAlternatives:
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    to = formataddr((message.recipient_name, message.recipient_email))
    email = EmailMultiAlternatives(
        subject=message.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
        reply_to=[context["support"]["email"]],
        # The same Message-ID on every attempt lets a mail server drop a duplicate after a lost reply.
        headers={"Message-ID": message.message_id, "X-EventChain-Message": str(message.pk)},
    )
    email.attach_alternative(html, "text/html")
    return email


# Other kinds register their composer here (distribution/guestlists/emails.py).
COMPOSERS: dict = {}


def compose(message: DeliveryMessage) -> Composition:
    if message.kind in COMPOSERS:
        return COMPOSERS[message.kind](message)
    if message.kind == MessageKind.MAGIC_LINK:
        return _magic_link_email(message)
    return _ticket_email(message)
