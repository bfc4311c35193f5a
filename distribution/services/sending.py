"""Queueing ticket emails, the distribution job, resends, and recording each message's outcome.

Every email is a DeliveryMessage plus an outbox row written in the same transaction; the outbox
handler (distribution/channels/email.py) composes and sends it and reports back here.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from buyers import services as buyer_services
from buyers.models import Booking, Contact
from eventchain import audit, jobs, outbox
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.models import Job
from eventchain.roles import authorize
from tickets import services as ticket_services
from tickets.models import Channel, Ticket, TicketStatus

from .. import conf, ratelimit
from ..models import SETTLED, DeliveryMessage, MessageKind, MessageStatus, TrackingKind
from .tracking import record

log = logging.getLogger(__name__)

OUTBOX_KIND = "distribution.email"
JOB_KIND = "distribution.send"
MODES = ("buyer_bundle", "direct_to_guest")
DISTRIBUTABLE = (BookingStatus.ISSUED, BookingStatus.DISTRIBUTED)
LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
CHANNEL_OF_KIND = {MessageKind.BUYER_BUNDLE: Channel.EMAIL_BUYER, MessageKind.GUEST_TICKET: Channel.EMAIL_GUEST}


# Actors ------------------------------------------------------------------------------------------

def actor_label(actor) -> str:
    """Staff email, a label such as "contact:pat@acme.example", or "system"."""
    if getattr(actor, "pk", None):
        return actor.email or actor.get_username()
    return str(actor) if actor else "system"


def actor_ref(actor) -> dict:
    """What a Celery task needs to act as the same actor (ids, not objects)."""
    if getattr(actor, "pk", None):
        return {"user_id": actor.pk}
    return {"label": str(actor) if actor else ""}


def resolve_actor(ref: dict):
    if ref.get("user_id"):
        return get_user_model().objects.filter(pk=ref["user_id"]).first()
    return ref.get("label") or None


# Queueing ------------------------------------------------------------------------------------------

def primary_contact(booking: Booking) -> Contact | None:
    return Contact.objects.filter(buyer_id=booking.buyer_id, is_primary=True).first()


def _subject(kind: str, booking: Booking, count: int, reason: str = "") -> str:
    event = booking.event.name
    if kind == MessageKind.BUYER_BUNDLE:
        return f"Your tickets for {event} ({booking.reference})"
    if reason == "reissued":
        return f"Your updated ticket for {event}"
    if kind == MessageKind.RESEND:
        return f"Your ticket{'s' if count > 1 else ''} for {event} (sent again)"
    return f"Your ticket for {event}"


def queue_message(*, kind: str, recipient_email: str, recipient_name: str = "", subject: str,
                  booking: Booking | None = None, ticket_ids=(), requested_by: str = "", job_id=None,
                  context: dict | None = None) -> DeliveryMessage:
    """A message row and its outbox row, in the caller's transaction; sending starts on commit."""
    with transaction.atomic():
        message = DeliveryMessage.objects.create(
            booking=booking, kind=kind, recipient_email=recipient_email, recipient_name=recipient_name[:200],
            subject=subject[:300], requested_by=requested_by[:254], job_id=job_id, context=context or {},
        )
        if ticket_ids:
            message.tickets.set(list(ticket_ids))
        message.outbox = outbox.enqueue(OUTBOX_KIND, {"delivery": message.pk},
                                        idempotency_key=f"distribution-email-{message.pk}", target=message)
        message.save(update_fields=["outbox"])
    return message


@dataclass
class Planned:
    kind: str
    email: str
    name: str
    ticket_ids: list[int]


def plan(booking: Booking, mode: str) -> list[Planned]:
    """Who gets which tickets. Direct-to-guest sends tickets without a guest email to the primary contact."""
    if mode not in MODES:
        raise ValidationFailed(f"Use one of: {', '.join(MODES)}.", field="mode")
    tickets = list(
        Ticket.objects.filter(booking=booking, status__in=LIVE).select_related("guest")
        .order_by("manifest_line_id", "seat_index", "id")
    )
    if not tickets:
        raise StateConflict(f"Booking {booking.reference} has no issued tickets to send.")
    primary = primary_contact(booking)
    planned: list[Planned] = []
    leftover = tickets
    if mode == "direct_to_guest":
        leftover = []
        for ticket in tickets:
            if ticket.guest and ticket.guest.email:
                planned.append(Planned(MessageKind.GUEST_TICKET, ticket.guest.email, ticket.guest.name, [ticket.pk]))
            else:
                leftover.append(ticket)
    if leftover:
        if primary is None:
            raise StateConflict(
                f"{booking.buyer.name} has no primary contact to send {len(leftover)} ticket(s) to"
                f"{' (tickets without a guest email)' if mode == 'direct_to_guest' else ''}. "
                "Mark one of the buyer's contacts as primary, or give every guest an email address."
            )
        planned.append(Planned(MessageKind.BUYER_BUNDLE, primary.email, primary.name, [t.pk for t in leftover]))
    return planned


def _locked_booking(booking_id) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",)).select_related("buyer", "event", "event__venue")
        .filter(pk=booking_id).first()
    )
    if booking is None:
        raise NotFound(f"Booking {booking_id} does not exist.")
    return booking


def start_distribution(*, booking_id, mode: str, actor) -> Job:
    """Check the booking can be sent, then queue the distribution job (the API answers 202)."""
    authorize(actor, "distribute_tickets")
    from .. import tasks

    if mode not in MODES:
        raise ValidationFailed(f"Use one of: {', '.join(MODES)}.", field="mode")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        if booking.status not in DISTRIBUTABLE:
            raise StateConflict(
                f"Booking {booking.reference} is {booking.status}; tickets are sent once they are issued."
            )
        planned = plan(booking, mode)
        job = jobs.start(kind=JOB_KIND, total=len(planned), actor=actor, target=booking)
        audit.record(actor, "distribution.started",
                     f"Sending {booking.reference} ({mode.replace('_', ' ')}): {len(planned)} email(s)",
                     target=booking, data={"job": str(job.pk), "mode": mode, "messages": len(planned)})
        ref = actor_ref(actor)
        transaction.on_commit(lambda: tasks.distribute.delay(str(job.pk), booking.pk, mode, ref))
    return job


def run_distribution(*, job_id, booking_id, mode: str, actor) -> list[int]:
    """The job: queue one message per recipient, move the booking to distributed. Safe to run twice."""
    jobs.mark_running(job_id)
    try:
        with transaction.atomic():
            booking = _locked_booking(booking_id)
            existing = list(DeliveryMessage.objects.filter(job_id=job_id).values_list("pk", flat=True))
            if existing:
                return existing
            planned = plan(booking, mode)
            jobs.mark_running(job_id, total=len(planned))
            label = actor_label(actor)
            messages = [
                queue_message(kind=item.kind, recipient_email=item.email, recipient_name=item.name,
                              subject=_subject(item.kind, booking, len(item.ticket_ids)), booking=booking,
                              ticket_ids=item.ticket_ids, requested_by=label, job_id=job_id,
                              context={"mode": mode})
                for item in planned
            ]
            if booking.status == BookingStatus.ISSUED:
                buyer_services.transition(
                    booking_id=booking.pk, to_status=BookingStatus.DISTRIBUTED, actor=actor,
                    summary=f"Tickets of {booking.reference} sent: {len(messages)} email(s) ({mode})",
                    data={"job": str(job_id), "mode": mode},
                )
    except Exception as exc:
        log.exception("distribution of booking %s failed", booking_id)
        jobs.finish(job_id, failed=True, error=getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
        raise
    settle_job(job_id)
    return [message.pk for message in messages]


def settle_job(job_id) -> None:
    """Progress is messages settled (accepted, bounced or failed); the job ends when all are."""
    if not job_id:
        return
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return
        rows = list(DeliveryMessage.objects.filter(job_id=job_id).only("status", "recipient_email", "last_error"))
        settled = [row for row in rows if row.status in SETTLED]
        jobs.set_done_count(job_id, len(settled))
        if rows and len(settled) == len(rows) and len(rows) >= job.total:
            for row in settled:
                if row.status != MessageStatus.DELIVERED:
                    jobs.add_error(job_id, f"{row.recipient_email}: {row.get_status_display().lower()} — "
                                           f"{row.last_error[:300]}")
            jobs.finish(job_id)


# Resending ---------------------------------------------------------------------------------------

def _recipient_for(ticket: Ticket) -> tuple[str, str] | None:
    if ticket.channel == Channel.EMAIL_GUEST and ticket.guest and ticket.guest.email:
        return ticket.guest.email, ticket.guest.name
    if ticket.channel == Channel.PORTAL_COLLECT:
        return None
    primary = primary_contact(ticket.booking)
    return (primary.email, primary.name) if primary else None


def queue_ticket_resend(*, ticket: Ticket, actor, reason: str = "resend", note: str = "") -> DeliveryMessage | None:
    """Send one ticket again on its channel (guest or buyer); None when it is collected in the portal."""
    recipient = _recipient_for(ticket)
    if recipient is None:
        return None
    email, name = recipient
    return queue_message(
        kind=MessageKind.RESEND, recipient_email=email, recipient_name=name,
        subject=_subject(MessageKind.RESEND, ticket.booking, 1, reason), booking=ticket.booking,
        ticket_ids=[ticket.pk], requested_by=actor_label(actor), context={"reason": reason, "note": note},
    )


def _limit_resends(booking_id: int, subject: str) -> None:
    ratelimit.hit("resend", f"{booking_id}:{subject}", limit=conf.get("EVENTCHAIN_RESENDS_PER_TICKET"),
                  window=conf.get("EVENTCHAIN_RESEND_WINDOW"),
                  message="This has been resent several times in the last hour.")


def resend_ticket(*, ticket_id, actor, scope_buyer_id: int | None = None) -> DeliveryMessage:
    """Staff or the buyer: email a ticket again on its channel. Rate-limited per ticket."""
    authorize(actor, "distribute_tickets")
    ticket = Ticket.objects.select_related("booking", "booking__event", "guest").filter(pk=ticket_id).first()
    if ticket is None or (scope_buyer_id is not None and ticket.booking.buyer_id != scope_buyer_id):
        raise NotFound("No such ticket.")
    if ticket.status not in LIVE:
        raise StateConflict(f"Ticket {ticket.number} is {ticket.get_status_display().lower()}; only issued or sent "
                            "tickets can be emailed.")
    if _recipient_for(ticket) is None:
        raise StateConflict(f"Ticket {ticket.number} is collected in the portal and has nobody to email; "
                            "choose a delivery by email first.")
    _limit_resends(ticket.booking_id, f"ticket:{ticket.pk}")
    with transaction.atomic():
        message = queue_ticket_resend(ticket=ticket, actor=actor)
        audit.record(actor, "distribution.resent", f"Resent {ticket.number} to {message.recipient_email}",
                     target=ticket, data={"message": message.pk})
    return message


def resend_message(*, message_id, actor, scope_buyer_id: int | None = None) -> DeliveryMessage:
    """Send an earlier ticket email again to the same recipient (e.g. after fixing a bounced address)."""
    authorize(actor, "distribute_tickets")
    original = DeliveryMessage.objects.select_related("booking", "booking__event").filter(
        pk=message_id, booking__isnull=False).first()
    if original is None or (scope_buyer_id is not None and original.booking.buyer_id != scope_buyer_id):
        raise NotFound("No such message.")
    ticket_ids = list(original.tickets.filter(status__in=LIVE).values_list("pk", flat=True))
    if not ticket_ids:
        raise StateConflict("Every ticket in that email has been revoked; there is nothing to resend.")
    _limit_resends(original.booking_id, f"message:{original.recipient_email.lower()}")
    with transaction.atomic():
        message = queue_message(
            kind=MessageKind.RESEND, recipient_email=original.recipient_email,
            recipient_name=original.recipient_name,
            subject=_subject(MessageKind.RESEND, original.booking, len(ticket_ids)), booking=original.booking,
            ticket_ids=ticket_ids, requested_by=actor_label(actor), context={"resend_of": original.pk},
        )
        audit.record(actor, "distribution.resent", f"Resent email #{original.pk} to {original.recipient_email}",
                     target=original.booking, data={"message": message.pk, "original": original.pk})
    return message


# Outcomes (called by the outbox handler) ----------------------------------------------------------

def mark_transmitting(message: DeliveryMessage) -> None:
    first = message.attempts == 0
    message.attempts += 1
    message.status = MessageStatus.SENT
    message.save(update_fields=["attempts", "status"])
    if first and message.booking_id:
        record(kind=TrackingKind.SENT, booking_id=message.booking_id, message=message)


def mark_delivered(message: DeliveryMessage, *, ticket_ids: list[int], attachment_bytes: int,
                   attached: bool) -> None:
    with transaction.atomic():
        message.status = MessageStatus.DELIVERED
        message.sent_at = timezone.now()
        message.last_error = ""
        message.smtp_response = "250 accepted"
        message.attachment_bytes = attachment_bytes
        message.context = {**message.context, "attached": attached}
        if message.kind == MessageKind.MAGIC_LINK:  # the link itself must not outlive its delivery
            message.context["accounts"] = [{"name": a.get("name", "")} for a in message.context.get("accounts", [])]
        message.save(update_fields=["status", "sent_at", "last_error", "smtp_response", "attachment_bytes",
                                    "context"])
        if message.booking_id:
            record(kind=TrackingKind.DELIVERED, booking_id=message.booking_id, message=message,
                   data={"attached": attached, "bytes": attachment_bytes})
        if ticket_ids:
            ticket_services.mark_sent(ticket_ids=ticket_ids, actor="distribution",
                                      channel=CHANNEL_OF_KIND.get(message.kind))
    settle_job(message.job_id)


def mark_bounced(message: DeliveryMessage, *, reason: str) -> None:
    """The mail server refused the recipient or the content for good (5xx). Staff see it and can resend."""
    with transaction.atomic():
        message.status = MessageStatus.BOUNCED
        message.bounced_at = timezone.now()
        message.last_error = reason[:2000]
        message.save(update_fields=["status", "bounced_at", "last_error"])
        if message.booking_id:
            record(kind=TrackingKind.BOUNCED, booking_id=message.booking_id, message=message,
                   data={"reason": reason[:500]})
        audit.record(None, "distribution.bounced", f"Email to {message.recipient_email} bounced: {reason[:200]}",
                     target=message.booking or message, data={"message": message.pk})
    settle_job(message.job_id)


def mark_failed(message: DeliveryMessage, *, reason: str) -> None:
    with transaction.atomic():
        message.status = MessageStatus.FAILED
        message.last_error = reason[:2000]
        message.save(update_fields=["status", "last_error"])
        audit.record(None, "distribution.failed", f"Email to {message.recipient_email} failed: {reason[:200]}",
                     target=message.booking or message, data={"message": message.pk})
    settle_job(message.job_id)


def mark_retrying(message: DeliveryMessage, *, reason: str) -> None:
    message.status = MessageStatus.QUEUED
    message.last_error = reason[:2000]
    message.save(update_fields=["status", "last_error"])
