"""The buyer's own actions in the portal: sign-in links, guests, delivery, reissue, revoke, transfer.

Each function takes the signed-in contact's buyer (`buyer`) and finds rows only within it, so a
wrong id is simply "not found". The actor is the label "contact:<email>" in every audit entry.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from buyers.models import Booking, Buyer, Contact
from eventchain import audit, crypto
from eventchain.errors import DomainError, NotFound, StateConflict, ValidationFailed
from tickets import services as ticket_services
from tickets.models import Channel, Guest, Ticket

from .. import conf, links, ratelimit
from ..compose import LINK_PURPOSE
from ..guestlists import services as guestlists
from ..models import GuestUpload, MessageKind, PortalLoginLink, TicketTransfer, TrackingKind
from ..portal import uploads
from . import holds, sending
from .tracking import record

GUEST_FIELDS = ("name", "email", "phone", "requirements")


def contact_label(contact: Contact) -> str:
    return f"contact:{contact.email}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Sign-in ------------------------------------------------------------------------------------------

def request_login_link(*, email: str, ip: str | None) -> None:
    """Email a one-time sign-in link to every buyer account this address is a contact of.

    The caller shows the same answer whether or not the address is known; the rate limits count
    every request, known or not, so they reveal nothing either.
    """
    email = (email or "").strip().lower()
    window = conf.get("EVENTCHAIN_PORTAL_LINK_WINDOW")
    ratelimit.hit("portal-link-ip", ip or "unknown", limit=conf.get("EVENTCHAIN_PORTAL_LINKS_PER_IP"),
                  window=window, message="Too many sign-in requests from this network.")
    ratelimit.hit("portal-link-email", email, limit=conf.get("EVENTCHAIN_PORTAL_LINKS_PER_EMAIL"),
                  window=window, message="Too many sign-in links were requested for this email address.")
    contacts = list(
        Contact.objects.filter(email__iexact=email).exclude(buyer__status=Buyer.Status.ARCHIVED)
        .select_related("buyer").order_by("buyer__name")
    )
    if not contacts:
        return
    minutes = conf.get("EVENTCHAIN_PORTAL_LINK_MINUTES")
    expires = timezone.now() + timedelta(minutes=minutes)
    PortalLoginLink.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()  # keep the table small
    with transaction.atomic():
        accounts = []
        for contact in contacts:
            token = secrets.token_urlsafe(32)
            PortalLoginLink.objects.create(contact=contact, token_hash=_hash(token), expires_at=expires,
                                           requested_ip=ip)
            url = links.absolute(reverse("portal:link", args=[token]))
            accounts.append({"name": contact.buyer.name,
                             "url_encrypted": crypto.encrypt_text(url, purpose=LINK_PURPOSE)})
            audit.record(contact_label(contact), "portal.link_requested",
                         f"Portal sign-in link sent to {contact.email}", target=contact, data={"ip": ip})
        first = contacts[0]
        sending.queue_message(
            kind=MessageKind.MAGIC_LINK, recipient_email=first.email, recipient_name=first.name,
            subject="Your sign-in link for the EventChain buyer portal", requested_by=contact_label(first),
            context={"accounts": accounts, "minutes": minutes},
        )


class LinkRefused(DomainError):
    http_status = 404


def check_login_link(token: str) -> PortalLoginLink:
    """The link's row if it can still be used; LinkRefused (with the reason) otherwise. Reads only."""
    link = PortalLoginLink.objects.select_related("contact", "contact__buyer").filter(
        token_hash=_hash(token or "")).first()
    if link is None:
        raise LinkRefused("This sign-in link is not valid. Ask for a new one below.")
    if link.used_at is not None:
        raise LinkRefused("This sign-in link has already been used. Each link works once; ask for a new one below.")
    if link.expires_at <= timezone.now():
        raise LinkRefused("This sign-in link has expired. Ask for a new one below.")
    return link


def redeem_login_link(*, token: str, ip: str | None) -> Contact:
    """Use the link up (once, even if two requests race) and return the contact it signs in."""
    with transaction.atomic():
        link = check_login_link(token)
        used = PortalLoginLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
        if not used:
            raise LinkRefused("This sign-in link has already been used. Each link works once; ask for a new one below.")
        contact = link.contact
        audit.record(contact_label(contact), "portal.signed_in", f"{contact.email} signed in to the buyer portal",
                     target=contact, data={"ip": ip})
    return contact


def sign_out(*, contact: Contact) -> None:
    audit.record(contact_label(contact), "portal.signed_out", f"{contact.email} signed out", target=contact)


# Scoped lookups -----------------------------------------------------------------------------------

def _booking(buyer: Buyer, booking_id) -> Booking:
    booking = Booking.objects.select_related("event", "event__venue", "buyer").filter(
        pk=booking_id, buyer=buyer).first()
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _ticket(buyer: Buyer, ticket_id) -> Ticket:
    ticket = Ticket.objects.select_related("booking", "booking__event", "guest", "event").filter(
        pk=ticket_id, booking__buyer=buyer).first()
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


# Guests -------------------------------------------------------------------------------------------

def _current_list(booking: Booking) -> list[dict]:
    return [{name: getattr(guest, name) for name in GUEST_FIELDS}
            for guest in Guest.objects.filter(booking=booking).order_by("position")]


def _field_errors(exc: ValidationFailed, index: int) -> ValidationFailed:
    """tickets names errors "<index>.<field>"; the portal form edits one guest, so keep the field only."""
    errors = []
    for error in exc.errors:
        position, _, name = (error.get("field") or "").partition(".")
        if position == str(index) and name:
            errors.append({"field": name, "message": error["message"]})
        elif not position.isdigit():
            errors.append(error)
    return ValidationFailed.from_list(errors or exc.errors)


def save_guest(*, buyer: Buyer, booking_id, guest_id, values: dict, actor) -> Guest:
    """Edit one guest in place (guest_id), or add one to the end of the list (guest_id None)."""
    booking = _booking(buyer, booking_id)
    guestlists.ensure_open(booking, actor)
    rows = _current_list(booking)
    guests = list(Guest.objects.filter(booking=booking).order_by("position"))
    cleaned = {name: str(values.get(name) or "").strip() for name in GUEST_FIELDS}
    if guest_id is None:
        index = len(rows)
        rows.append(cleaned)
    else:
        index = next((i for i, guest in enumerate(guests) if str(guest.pk) == str(guest_id)), None)
        if index is None:
            raise NotFound("No such guest.")
        rows[index] = cleaned
    try:
        saved = ticket_services.set_guest_list(booking_id=booking.pk, guests=rows, actor=actor)
    except ValidationFailed as exc:
        raise _field_errors(exc, index) from exc
    return saved[index]


@dataclass
class UploadResult:
    upload: GuestUpload
    applied: bool
    errors: list[dict]
    count: int


def upload_guests(*, buyer: Buyer, booking_id, filename: str, data: bytes, actor) -> UploadResult:
    """Replace the guest list from a CSV/XLSX file. Stored raw first; all rows apply, or none."""
    booking = _booking(buyer, booking_id)
    upload = GuestUpload.objects.create(booking=booking, buyer=buyer, uploaded_by=str(actor)[:254],
                                        filename=(filename or "upload")[:200], content=data)
    parsed = uploads.parse(filename or "", data)
    errors = list(parsed.errors)
    if not errors and not parsed.rows:
        errors.append({"row": None, "field": None, "message": "The file has a header but no guests."})
    if not errors:
        try:
            guestlists.ensure_open(booking, actor)  # after the cut-off: refused, shown like any other problem
            ticket_services.set_guest_list(booking_id=booking.pk, guests=parsed.rows, actor=actor)
        except ValidationFailed as exc:
            for error in exc.errors:
                index, _, name = (error.get("field") or "").partition(".")
                row = parsed.row_numbers[int(index)] if index.isdigit() and int(index) < len(parsed.row_numbers) \
                    else None
                errors.append({"row": row, "field": name or None, "message": error["message"]})
        except StateConflict as exc:
            errors.append({"row": None, "field": None, "message": exc.message})
    upload.outcome = GuestUpload.Outcome.REJECTED if errors else GuestUpload.Outcome.APPLIED
    upload.errors = errors
    upload.rows = len(parsed.rows)
    upload.save(update_fields=["outcome", "errors", "rows"])
    audit.record(actor, "portal.guests_uploaded",
                 f"Guest list upload {upload.filename} for {booking.reference}: "
                 f"{'applied' if not errors else 'rejected'} ({len(parsed.rows)} rows)",
                 target=booking, data={"upload": upload.pk, "errors": len(errors)})
    return UploadResult(upload, not errors, errors, len(parsed.rows))


def assign_guest(*, buyer: Buyer, ticket_id, guest_id, actor) -> Ticket:
    ticket = _ticket(buyer, ticket_id)
    guestlists.ensure_open(ticket.booking, actor)
    if guest_id is not None and not Guest.objects.filter(pk=guest_id, booking_id=ticket.booking_id).exists():
        raise ValidationFailed("Choose a guest from this booking's list.", field="guest")
    return ticket_services.assign_guest(ticket_id=ticket.pk, guest_id=guest_id, actor=actor)


# Delivery, reissue, revoke, transfer, resend ---------------------------------------------------------

def send_tickets(*, buyer: Buyer, booking_id, mode: str, actor):
    """The buyer chooses: all tickets to them (buyer_bundle) or each guest their own (direct_to_guest)."""
    booking = _booking(buyer, booking_id)
    ratelimit.hit("portal-send", str(booking.pk), limit=conf.get("EVENTCHAIN_RESENDS_PER_TICKET"),
                  window=conf.get("EVENTCHAIN_RESEND_WINDOW"), message="The tickets were sent several times already.")
    return sending.start_distribution(booking_id=booking.pk, mode=mode, actor=actor)


def reissue(*, buyer: Buyer, ticket_id, reason: str, actor) -> Ticket:
    ticket = _ticket(buyer, ticket_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the ticket is reissued (e.g. lost phone, email forwarded).", field="reason")
    return ticket_services.reissue_ticket(ticket_id=ticket.pk, actor=actor, reason=reason[:300])


def revoke(*, buyer: Buyer, ticket_id, reason: str, actor) -> Ticket:
    ticket = _ticket(buyer, ticket_id)
    return ticket_services.revoke_ticket(ticket_id=ticket.pk, actor=actor, reason=(reason or "").strip()[:300])


def transfer(*, buyer: Buyer, ticket_id, name: str, email: str, phone: str = "", reason: str = "",
             actor) -> Ticket:
    """Give a ticket to a new guest: the old holder is kept in history and their code stops working."""
    ticket = _ticket(buyer, ticket_id)
    if ticket.status not in sending.LIVE:
        raise StateConflict(f"Ticket {ticket.number} is {ticket.get_status_display().lower()}; only issued or sent "
                            "tickets can be transferred.")
    holds.ensure_transfer_allowed(buyer, ticket)
    values = {"name": name, "email": email, "phone": phone, "requirements": ""}
    with transaction.atomic():
        old = ticket.guest
        if old is not None:
            TicketTransfer.objects.create(
                ticket=ticket, from_name=old.name, from_email=old.email, from_phone=old.phone,
                to_name=name.strip(), to_email=email.strip().lower(), from_generation=ticket.generation,
                reason=reason.strip()[:300], actor_label=str(actor)[:254],
            )
            guest = save_guest(buyer=buyer, booking_id=ticket.booking_id, guest_id=old.pk, values=values,
                               actor=actor)
        else:
            TicketTransfer.objects.create(
                ticket=ticket, to_name=name.strip(), to_email=email.strip().lower(),
                from_generation=ticket.generation, reason=reason.strip()[:300], actor_label=str(actor)[:254],
            )
            guest = save_guest(buyer=buyer, booking_id=ticket.booking_id, guest_id=None, values=values, actor=actor)
            ticket_services.assign_guest(ticket_id=ticket.pk, guest_id=guest.pk, actor=actor)
        channel = Channel.EMAIL_GUEST if guest.email else Channel.EMAIL_BUYER
        if ticket.channel != channel and ticket.channel != Channel.PORTAL_COLLECT:
            ticket_services.set_channel(ticket_id=ticket.pk, channel=channel, actor=actor)
        # A new code: whatever the previous holder kept (PDF, wallet pass, forwarded email) stops working.
        ticket = ticket_services.reissue_ticket(ticket_id=ticket.pk, actor=actor,
                                                reason=f"transferred to {guest.name}" + (f": {reason}" if reason else ""))
        record(kind=TrackingKind.CLAIMED, booking_id=ticket.booking_id, ticket_id=ticket.pk,
               data={"from": old.name if old else "", "to": guest.name})
        audit.record(actor, "portal.ticket_transferred",
                     f"{ticket.number} transferred from {old.name if old else 'no guest'} to {guest.name}",
                     target=ticket, data={"from_email": old.email if old else "", "to_email": guest.email})
        holds.count_transfer(buyer, actor=actor)
    return ticket


def resend(*, buyer: Buyer, ticket_id, actor):
    ticket = _ticket(buyer, ticket_id)
    return sending.resend_ticket(ticket_id=ticket.pk, actor=actor, scope_buyer_id=buyer.pk)


def record_portal_download(*, buyer: Buyer, ticket: Ticket | None, booking: Booking, kind: str):
    if booking.buyer_id != buyer.pk:
        raise NotFound("No such booking.")
    return record(kind=kind, booking_id=booking.pk, ticket_id=ticket.pk if ticket else None,
                  data={"source": "portal"})

