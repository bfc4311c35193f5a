"""Guest list writes and the rules around them: placeholders, the name deadline and cut-off, claim links.

Staff are users (objects with a pk); portal contacts and claimants are label strings. After a
booking's cut-off only staff may change its guest list, and each such change is audited.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from buyers.models import Booking, Buyer
from eventchain import audit, crypto
from eventchain.errors import DomainError, NotFound, StateConflict, ValidationFailed
from eventchain.roles import authorize
from tickets import services as ticket_services
from tickets.models import Channel, Guest, Ticket, TicketStatus

from .. import conf, links, ratelimit
from ..models import MessageKind, TrackingKind
from ..services import sending
from ..services.tracking import record
from .models import BookingNameOverride, ClaimLink, EventNamePolicy

LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
CLAIM_PURPOSE = "distribution.claim-link"


def _is_staff(actor) -> bool:
    return bool(getattr(actor, "pk", None))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Placeholders -------------------------------------------------------------------------------------

def ticket_labels(tickets: list[Ticket]) -> dict[int, str]:
    """Each ticket's guest name, or the placeholder the tickets lane stored when it staged the ticket
    ("Guest 3 of 10 — Acme Mining", "Extra pass — Acme Mining"); an unnamed revoked ticket shows "—"."""
    return {
        ticket.pk: ticket.holder_name if ticket.guest_id or ticket.status != TicketStatus.REVOKED else "—"
        for ticket in tickets
    }


@dataclass(frozen=True)
class NameCount:
    named: int
    total: int

    @property
    def missing(self) -> int:
        return max(0, self.total - self.named)

    def __str__(self) -> str:
        return f"{self.missing} of {self.total} names missing" if self.missing else f"All {self.total} guests named"


def name_count(booking: Booking) -> NameCount:
    """Named guests against the booking's headcount (tickets are issued whether named or not)."""
    named = getattr(booking, "guest_total", None)  # annotated by list queries
    if named is None:
        named = Guest.objects.filter(booking=booking).count()
    return NameCount(min(named, booking.headcount), booking.headcount)


# Deadline and cut-off -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadlines:
    names_due_at: datetime | None
    cutoff_at: datetime | None

    def frozen(self, now=None) -> bool:
        return self.cutoff_at is not None and (now or timezone.now()) >= self.cutoff_at


def _loaded(instance, name: str, query):
    """A reverse one-to-one already fetched by select_related, else a fresh query (never a stale cache)."""
    cache = instance._state.fields_cache
    return cache[name] if name in cache else query.first()


def deadlines(booking: Booking) -> Deadlines:
    policy = _loaded(booking.event, "name_policy", EventNamePolicy.objects.filter(event_id=booking.event_id))
    override = _loaded(booking, "name_override", BookingNameOverride.objects.filter(booking_id=booking.pk))
    due = (override and override.names_due_at) or (policy and policy.names_due_at) or None
    cutoff = (override and override.cutoff_at) or (policy and policy.cutoff_at) or None
    return Deadlines(due, cutoff)


def set_event_policy(*, event, names_due_at, cutoff_at, actor) -> EventNamePolicy:
    authorize(actor, "manage_buyers")
    if cutoff_at < names_due_at:
        raise ValidationFailed("The cut-off cannot be before the name deadline.", field="cutoff_at")
    with transaction.atomic():
        policy, _ = EventNamePolicy.objects.update_or_create(
            event=event, defaults={"names_due_at": names_due_at, "cutoff_at": cutoff_at})
        audit.record(actor, "guestlists.policy_set", f"{event.code}: names due {names_due_at:%Y-%m-%d}, "
                     f"cut-off {cutoff_at:%Y-%m-%d}", target=event)
    return policy


def set_booking_override(*, booking_id, names_due_at=None, cutoff_at=None, actor) -> BookingNameOverride:
    authorize(actor, "manage_buyers")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None:
            raise NotFound(f"Booking {booking_id} does not exist.")
        override, _ = BookingNameOverride.objects.update_or_create(
            booking=booking, defaults={"names_due_at": names_due_at, "cutoff_at": cutoff_at})
        audit.record(actor, "guestlists.override_set", f"{booking.reference}: own name deadline / cut-off",
                     target=booking, data={"names_due_at": str(names_due_at), "cutoff_at": str(cutoff_at)})
    return override


class GuestListFrozen(StateConflict):
    pass


def ensure_open(booking: Booking, actor) -> None:
    """Refuse a guest-list change by anyone but staff after the cut-off; audit staff changes then."""
    limits = deadlines(booking)
    if not limits.frozen():
        return
    if not _is_staff(actor):
        local = timezone.localtime(limits.cutoff_at, booking.event.tz)
        raise GuestListFrozen(
            f"The guest list for {booking.reference} closed on {local:%-d %B %Y at %-I:%M %p} and is final for the "
            "gate. Ask your account manager to make a change."
        )
    audit.record(actor, "guestlists.changed_after_cutoff", f"{booking.reference}: guest list changed after cut-off",
                 target=booking)


# Claim links --------------------------------------------------------------------------------------

class ClaimRefused(DomainError):
    http_status = 404


def _scoped_ticket(buyer: Buyer, ticket_id) -> Ticket:
    ticket = Ticket.objects.select_related("booking", "booking__event", "booking__buyer", "guest").filter(
        pk=ticket_id, booking__buyer=buyer).first()
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def claim_url(token: str) -> str:
    return links.absolute(reverse("portal:claim", args=[token]))


def create_claim_link(*, buyer: Buyer, ticket_id, actor, email: str = "") -> tuple[ClaimLink, str]:
    """A new link for one unnamed seat (any earlier open link for it stops working). Emailed if `email`."""
    ticket = _scoped_ticket(buyer, ticket_id)
    booking = ticket.booking
    if ticket.status == TicketStatus.REVOKED:
        raise StateConflict(f"Ticket {ticket.number} is revoked; a claim link cannot be made for it.")
    if ticket.guest_id:
        raise StateConflict(f"Ticket {ticket.number} is already named ({ticket.guest.name}); "
                            "transfer it instead to give it to someone else.")
    ensure_open(booking, actor)
    email = (email or "").strip().lower()
    if email:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationFailed(f"'{email}' is not an email address.", field="email") from exc
    ratelimit.hit("claim-create", str(booking.pk), limit=conf.get("EVENTCHAIN_CLAIM_LINKS_PER_BOOKING"),
                  window=conf.get("EVENTCHAIN_CLAIM_WINDOW"), message="Too many claim links were made for this booking.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        ClaimLink.objects.filter(ticket=ticket, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        link = ClaimLink.objects.create(
            ticket=ticket, token_hash=_hash(token), created_by=sending.actor_label(actor)[:254], sent_to=email,
            expires_at=now + timedelta(days=conf.get("EVENTCHAIN_CLAIM_LINK_DAYS")),
        )
        url = claim_url(token)
        if email:
            sending.queue_message(
                kind=MessageKind.CLAIM_LINK, recipient_email=email, booking=booking,
                subject=f"Add your name to your ticket for {booking.event.name}",
                requested_by=sending.actor_label(actor),
                context={"url_encrypted": crypto.encrypt_text(url, purpose=CLAIM_PURPOSE), "ticket": ticket.pk,
                         "buyer": buyer.name, "expires_at": link.expires_at.isoformat()},
            )
        audit.record(actor, "guestlists.claim_link_created", f"Claim link for {ticket.number}"
                     + (f" emailed to {email}" if email else ""), target=ticket, data={"link": link.pk})
    return link, url


def revoke_claim_link(*, buyer: Buyer, link_id, actor) -> ClaimLink:
    link = ClaimLink.objects.select_related("ticket").filter(pk=link_id, ticket__booking__buyer=buyer).first()
    if link is None:
        raise NotFound("No such claim link.")
    with transaction.atomic():
        if link.used_at is None and link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            audit.record(actor, "guestlists.claim_link_revoked", f"Claim link for {link.ticket.number} revoked",
                         target=link.ticket, data={"link": link.pk})
    return link


def check_claim(token: str) -> ClaimLink:
    """The link if it can still be used; ClaimRefused with a reason a guest understands otherwise."""
    link = ClaimLink.objects.select_related(
        "ticket", "ticket__booking", "ticket__booking__event", "ticket__booking__event__venue",
        "ticket__booking__buyer", "ticket__package", "ticket__guest",
    ).filter(token_hash=_hash(token or "")).first()
    if link is None:
        raise ClaimRefused("This claim link is not valid. Check you copied the whole link, or ask the person "
                           "who sent it for a new one.")
    if link.used_at is not None:
        raise ClaimRefused("This claim link has already been used: the seat has been named. Each link works once.")
    if link.revoked_at is not None:
        raise ClaimRefused("This claim link was withdrawn by the person who sent it. Ask them for a new one.")
    if link.expires_at <= timezone.now():
        raise ClaimRefused("This claim link has expired. Ask the person who sent it for a new one.")
    ticket = link.ticket
    if ticket.status == TicketStatus.REVOKED:
        raise ClaimRefused("The seat this link was for has been cancelled. Ask the person who sent it.")
    if ticket.guest_id:
        raise ClaimRefused("The seat this link was for has been named already. Ask the person who sent it "
                           "for a link to another seat.")
    return link


def _requirements(dietary: str, accessibility: str) -> str:
    parts = []
    if dietary.strip():
        parts.append(f"Dietary: {dietary.strip()}")
    if accessibility.strip():
        parts.append(f"Access: {accessibility.strip()}")
    return "; ".join(parts)[:300]


def redeem_claim(*, token: str, ticket_number: str, values: dict, ip: str | None = None) -> Ticket:
    """The claimant names the seat: a guest is added and put on this ticket, which is reissued (if it was
    already out with a placeholder) and delivered to the guest's own email."""
    ratelimit.hit("claim-ip", ip or "unknown", limit=conf.get("EVENTCHAIN_CLAIM_ATTEMPTS_PER_IP"),
                  window=conf.get("EVENTCHAIN_CLAIM_WINDOW"), message="Too many attempts from this network.")
    with transaction.atomic():
        link = check_claim(token)
        locked = ClaimLink.objects.select_for_update().get(pk=link.pk)
        if locked.used_at is not None or locked.revoked_at is not None:
            raise ClaimRefused("This claim link has already been used or withdrawn.")
        ticket = link.ticket
        if (ticket_number or "").strip().upper() != ticket.number:
            raise ClaimRefused(f"This link is for seat {ticket.place} (ticket {ticket.number}), not the one "
                               "submitted. Open the link you were sent again.")
        booking = ticket.booking
        actor = f"claim:{(values.get('email') or '').strip().lower() or link.pk}"
        ensure_open(booking, actor)
        email = str(values.get("email") or "").strip().lower()
        if not email:
            raise ValidationFailed("is required: your ticket is emailed to you", field="email")
        guest_values = {
            "name": values.get("name", ""), "email": email, "phone": values.get("phone", ""),
            "requirements": _requirements(str(values.get("dietary") or ""), str(values.get("accessibility") or "")),
        }
        rows = [{name: getattr(guest, name) for name in ("name", "email", "phone", "requirements")}
                for guest in Guest.objects.filter(booking=booking).order_by("position")]
        if len(rows) >= booking.headcount:
            raise ClaimRefused("Every place on this booking already has a name. Ask the person who sent the link.")
        index = len(rows)
        try:
            guests = ticket_services.set_guest_list(booking_id=booking.pk, guests=[*rows, guest_values], actor=actor)
        except ValidationFailed as exc:
            errors = [{"field": (e.get("field") or "").partition(".")[2] or None, "message": e["message"]}
                      for e in exc.errors if (e.get("field") or "").startswith(f"{index}.") or not e.get("field")]
            raise ValidationFailed.from_list(errors or exc.errors) from exc
        guest = guests[index]
        ticket_services.assign_guest(ticket_id=ticket.pk, guest_id=guest.pk, actor=actor)
        if ticket.channel != Channel.EMAIL_GUEST:
            ticket_services.set_channel(ticket_id=ticket.pk, channel=Channel.EMAIL_GUEST, actor=actor)
        ticket.refresh_from_db()
        if ticket.status == TicketStatus.SENT:
            # New code with the guest's name; the receiver re-sends it on the guest channel.
            ticket_services.reissue_ticket(ticket_id=ticket.pk, actor=actor, reason="claimed by the guest")
        elif ticket.status == TicketStatus.ISSUED:
            sending.queue_ticket_resend(ticket=ticket, actor=actor, reason="claimed")
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        record(kind=TrackingKind.CLAIMED, booking_id=booking.pk, ticket_id=ticket.pk,
               data={"via": "claim_link", "to": guest.name})
        audit.record(actor, "guestlists.claimed", f"{ticket.number} claimed by {guest.name}", target=ticket,
                     data={"link": link.pk, "guest": guest.pk})
    ticket.refresh_from_db()
    return ticket


def booking_summary(booking: Booking, tickets: list[Ticket]) -> dict:
    """What the portal and console booking pages show: placeholders, names missing, deadline, cut-off."""
    from .engagement import booking_engagement

    limits = deadlines(booking)
    return {"placeholders": ticket_labels(tickets), "names": name_count(booking),
            "name_deadlines": limits, "guest_list_frozen": limits.frozen(),
            "engagement": booking_engagement(booking.pk)}
