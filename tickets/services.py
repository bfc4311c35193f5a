"""Lane 05 writes: guest lists, issuing, reissuing and revoking tickets, designs and signing keys.

Issuance runs in three steps the Celery task drives (`run_issuance`), each safe to repeat after a
crash: `stage_tickets` makes one ticket per manifest seat (a unique constraint makes a second run
create nothing) with a signed code; `produce_staged` renders files and wallet links for tickets
still staged and marks them issued; `complete_issuance` moves the booking released → issued.
"""

import logging
import secrets
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from allocation.models import Manifest, Unit
from buyers import services as buyer_services
from buyers.models import Booking
from eventchain import audit, jobs, outbox, velocity
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event, InventoryKind
from eventchain.roles import authorize

from . import bulk, codes, content, files, holds, keys, rendering, signals
from .downloads import pdf_file, pkpass_file
from .models import (
    AppleRegistration,
    Channel,
    Guest,
    SigningKey,
    Ticket,
    TicketCode,
    TicketDesign,
    TicketStatus,
    new_ticket_number,
)
from .wallet import google

log = logging.getLogger(__name__)

GUEST_LIST_CLOSED = {BookingStatus.CLOSED, BookingStatus.CANCELLED}
LIVE_STATUSES = (TicketStatus.ISSUED, TicketStatus.SENT)
JOB_KIND = "tickets.issue"


# Guests -------------------------------------------------------------------------------------------

def _locked_booking(booking_id) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",)).select_related("event", "package")
        .filter(pk=booking_id).first()
    )
    if booking is None:
        raise NotFound(f"Booking {booking_id} does not exist.")
    return booking


def _clean_guest(index: int, raw: dict) -> tuple[dict, list[dict]]:
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import validate_email

    errors = []
    name = str(raw.get("name") or "").strip()
    email = str(raw.get("email") or "").strip().lower()
    phone = str(raw.get("phone") or "").strip()
    requirements = str(raw.get("requirements") or "").strip()
    if not name:
        errors.append({"field": f"{index}.name", "message": "is required: the name printed on the ticket"})
    elif len(name) > 200:
        errors.append({"field": f"{index}.name", "message": "must be at most 200 characters"})
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.append({"field": f"{index}.email", "message": f"'{email}' is not an email address"})
    if len(phone) > 40:
        errors.append({"field": f"{index}.phone", "message": "must be at most 40 characters"})
    if len(requirements) > 300:
        errors.append({"field": f"{index}.requirements", "message": "must be at most 300 characters"})
    return {"name": name, "email": email, "phone": phone, "requirements": requirements}, errors


def set_guest_list(*, booking_id, guests: list[dict], actor) -> list[Guest]:
    """Replace a booking's guest list (at most headcount). Named guests go onto unnamed tickets in order."""
    authorize(actor, "issue_tickets")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        if booking.status in GUEST_LIST_CLOSED:
            raise StateConflict(f"Booking {booking.reference} is {booking.status}; its guest list can no longer change.")
        cleaned, errors = [], []
        for index, raw in enumerate(guests):
            values, problems = _clean_guest(index, raw)
            cleaned.append(values)
            errors.extend(problems)
        if len(cleaned) > booking.headcount:
            errors.insert(0, {"field": None, "message": (
                f"The booking is for {booking.headcount} guests; the list has {len(cleaned)}. "
                "Remove guests or amend the booking's headcount."
            )})
        emails = [values["email"] for values in cleaned if values["email"]]
        for index, values in enumerate(cleaned):
            if values["email"] and emails.count(values["email"]) > 1:
                errors.append({"field": f"{index}.email", "message": "is on the list more than once"})
        if errors:
            raise ValidationFailed.from_list(errors)

        existing = {guest.position: guest for guest in Guest.objects.select_for_update().filter(booking=booking)}
        changed_guest_ids = set()
        kept = []
        for position, values in enumerate(cleaned, start=1):
            guest = existing.pop(position, None)
            if guest is None:
                guest = Guest.objects.create(booking=booking, position=position, **values)
            elif any(getattr(guest, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(guest, field, value)
                guest.save()
                changed_guest_ids.add(guest.pk)
            kept.append(guest)
        removed = list(existing.values())
        touched = list(Ticket.objects.filter(guest__in=removed).values_list("pk", flat=True))
        Guest.objects.filter(pk__in=[guest.pk for guest in removed]).delete()
        touched += list(Ticket.objects.filter(guest_id__in=changed_guest_ids).values_list("pk", flat=True))
        touched += _auto_assign(booking)
        for ticket in Ticket.objects.filter(pk__in=set(touched), status__in=LIVE_STATUSES).select_related("event"):
            _content_changed(ticket, reason="guest details changed")
        audit.record(actor, "tickets.guest_list_replaced", f"Guest list of {booking.reference}: {len(kept)} guests",
                     target=booking, data={"guests": len(kept), "removed": len(removed)})
    return kept


def _auto_assign(booking: Booking) -> list[int]:
    """Give unassigned guests (in list order) to unnamed, unrevoked tickets (in ticket order)."""
    taken = set(Ticket.objects.filter(booking=booking, guest__isnull=False).values_list("guest_id", flat=True))
    waiting = [guest for guest in Guest.objects.filter(booking=booking).order_by("position") if guest.pk not in taken]
    free = list(
        Ticket.objects.select_for_update().filter(booking=booking, guest__isnull=True)
        .exclude(status=TicketStatus.REVOKED).order_by("manifest_line_id", "seat_index", "id")
    )
    assigned = []
    now = timezone.now()
    for guest, ticket in zip(waiting, free, strict=False):
        ticket.guest = guest
        ticket.updated_at = now
        if ticket.status == TicketStatus.STAGED and guest.email and ticket.channel == Channel.EMAIL_BUYER:
            ticket.channel = Channel.EMAIL_GUEST
        assigned.append(ticket)
    bulk.set_values(Ticket, assigned, ["guest", "channel", "updated_at"])
    return [ticket.pk for ticket in assigned]


def assign_guest(*, ticket_id, guest_id, actor) -> Ticket:
    """Put a chosen guest (or nobody, guest_id=None) on a ticket; the guest leaves any other ticket."""
    authorize(actor, "issue_tickets")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("booking", "event").filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(f"Ticket {ticket_id} does not exist.")
        if ticket.revoked:
            raise StateConflict(f"Ticket {ticket.number} is revoked; reissue is not possible, assign another ticket.")
        guest = None
        if guest_id is not None:
            guest = Guest.objects.filter(pk=guest_id, booking_id=ticket.booking_id).first()
            if guest is None:
                raise ValidationFailed("That guest is not on this booking's guest list.", field="guest")
            previous = Ticket.objects.select_for_update().filter(guest=guest).exclude(pk=ticket.pk).first()
            if previous is not None:
                previous.guest = None
                previous.save(update_fields=["guest", "updated_at"])
                if previous.status in LIVE_STATUSES:
                    _content_changed(previous, reason="guest moved to another ticket")
        ticket.guest = guest
        ticket.save(update_fields=["guest", "updated_at"])
        if ticket.status in LIVE_STATUSES:
            _content_changed(ticket, reason="guest assigned")
        audit.record(actor, "tickets.guest_assigned",
                     f"{ticket.number}: {guest.name if guest else 'no guest'}", target=ticket,
                     data={"guest": guest.pk if guest else None})
    return ticket


# Issuance -----------------------------------------------------------------------------------------

def start_issuance(*, booking_id, actor, channel: str | None = None) -> jobs.Job:
    """Queue the issuance job for a released booking (202 in the API). Re-running resumes, never duplicates."""
    authorize(actor, "issue_tickets")
    if channel is not None and channel not in Channel.values:
        raise ValidationFailed(f"Use one of {', '.join(Channel.values)}.", field="channel")
    from . import tasks

    with transaction.atomic():
        booking = _locked_booking(booking_id)
        if booking.status != BookingStatus.RELEASED:
            raise StateConflict(
                f"Booking {booking.reference} is {booking.status}; tickets are issued once finance releases it "
                "(status released)."
            )
        manifest = latest_manifest(booking)
        if manifest is None:
            raise StateConflict(f"Booking {booking.reference} has no confirmed manifest to issue tickets from.")
        total = sum(_passes(line) for line in manifest.lines.all())
        job = jobs.start(kind=JOB_KIND, total=total, actor=actor, target=booking)
        audit.record(actor, "tickets.issuance_started", f"Issuing {total} tickets for {booking.reference}",
                     target=booking, data={"job": str(job.pk), "channel": channel})
        actor_id = actor.pk if getattr(actor, "pk", None) else None
        transaction.on_commit(lambda: tasks.issue_tickets.delay(str(job.pk), booking.pk, actor_id, channel))
    return job


def latest_manifest(booking: Booking) -> Manifest | None:
    return Manifest.objects.filter(booking=booking).order_by("-version").prefetch_related("lines").first()


def _passes(line) -> int:
    return line.seats if line.kind != InventoryKind.PASS else max(line.seats, line.quantity)


def _seat_labels(line, children: dict[int, list[str]], start: int) -> list[str]:
    count = _passes(line)
    if line.kind == InventoryKind.SEAT and count == 1:
        return [line.label]
    if line.kind == InventoryKind.PASS:
        return [f"Pass {start + i}" for i in range(count)]
    named = children.get(line.unit_id, [])
    return [named[start - 1 + i] if start - 1 + i < len(named) else f"Seat {start + i}" for i in range(count)]


def stage_tickets(*, booking_id, actor=None, channel: str | None = None) -> list[int]:
    """One ticket per manifest seat, each with a signed code; idempotent. Returns the booking's ticket ids."""
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        if booking.status not in {BookingStatus.RELEASED, BookingStatus.ISSUED}:
            raise StateConflict(f"Booking {booking.reference} is {booking.status}; only released bookings are issued.")
        manifest = latest_manifest(booking)
        if manifest is None:
            raise StateConflict(f"Booking {booking.reference} has no confirmed manifest to issue tickets from.")
        lines = list(manifest.lines.select_related("package").order_by("comp", "id"))
        children: dict[int, list[str]] = {}
        for unit_id, label in (
            Unit.objects.filter(parent_id__in={line.unit_id for line in lines}, kind=InventoryKind.SEAT)
            .order_by("position", "number", "id").values_list("parent_id", "label")
        ):
            children.setdefault(unit_id, []).append(label)

        existing = set(Ticket.objects.filter(booking=booking).values_list("unit_id", "seat_index"))
        counters: dict[int, int] = {}
        new = []
        for line in lines:
            start = counters.get(line.unit_id, 0) + 1
            labels = _seat_labels(line, children, start)
            counters[line.unit_id] = start - 1 + len(labels)
            for offset, seat_label in enumerate(labels):
                seat_index = start + offset
                if (line.unit_id, seat_index) in existing:
                    continue
                new.append(Ticket(
                    number=new_ticket_number(booking.event.code), booking=booking, event_id=booking.event_id,
                    package=line.package, manifest_line=line, unit_id=line.unit_id, seat_index=seat_index,
                    area=line.area, unit_label=line.label, seat_label=seat_label, comp=line.comp,
                    entitlements=list(line.package.entitlements or []), channel=channel or Channel.EMAIL_BUYER,
                    apple_auth_token=secrets.token_urlsafe(24),
                ))
        if new:
            Ticket.objects.bulk_create(new, batch_size=500)
            _label_placeholders(booking)
        _auto_assign(booking)
        _sign_missing(booking)
        if new:
            audit.record(actor, "tickets.staged", f"Staged {len(new)} tickets for {booking.reference}",
                         target=booking, data={"manifest_version": manifest.version, "created": len(new)})
    return list(Ticket.objects.filter(booking=booking).order_by("id").values_list("pk", flat=True))


def placeholder_labels(booking: Booking, tickets: list[Ticket]) -> dict[int, str]:
    """ "Guest n of <headcount> — Buyer" for the booking's own package in ticket order; other passes
    (a comp parking pass, say) are "Extra pass — Buyer"."""
    labels, position = {}, 0
    for ticket in tickets:
        if ticket.package_id == booking.package_id:
            position += 1
            labels[ticket.pk] = f"Guest {position} of {booking.headcount} — {booking.buyer.name}"
        else:
            labels[ticket.pk] = f"Extra pass — {booking.buyer.name}"
    return labels


def _label_placeholders(booking: Booking) -> None:
    tickets = list(Ticket.objects.filter(booking=booking).exclude(status=TicketStatus.REVOKED).order_by("id"))
    labels = placeholder_labels(booking, tickets)
    changed = [t for t in tickets if t.placeholder != labels[t.pk]]
    for ticket in changed:
        ticket.placeholder = labels[ticket.pk]
    Ticket.objects.bulk_update(changed, ["placeholder"], batch_size=500)


def _sign(ticket: Ticket, key: SigningKey, now: datetime, design: TicketDesign | None = None) -> TicketCode:
    valid_from, valid_until = content.validity(ticket.event, now, design)
    claim = codes.TicketClaim(
        key_id=key.key_id, event_id=ticket.event_id, ticket_id=ticket.pk, generation=ticket.generation,
        valid_from=int(valid_from.timestamp()), valid_until=int(valid_until.timestamp()),
    )
    ticket.code = keys.sign(key, claim)
    ticket.valid_from = datetime.fromtimestamp(claim.valid_from, tz=UTC)
    ticket.valid_until = datetime.fromtimestamp(claim.valid_until, tz=UTC)
    return TicketCode(ticket=ticket, event_id=ticket.event_id, generation=ticket.generation, key_id=key.key_id,
                      code=ticket.code, valid_from=ticket.valid_from, valid_until=ticket.valid_until)


def _sign_missing(booking: Booking) -> None:
    unsigned = list(Ticket.objects.filter(booking=booking, code="").select_related("event", "event__venue"))
    if not unsigned:
        return
    key = keys.active_key(booking.event_id)
    now = timezone.now()
    design = content.design_row(booking.event)
    rows = [_sign(ticket, key, now, design) for ticket in unsigned]
    bulk.set_values(Ticket, unsigned, ["code", "valid_from", "valid_until"])
    TicketCode.objects.bulk_create(rows, batch_size=500)


def _ticket_rows(**filters):
    return (
        Ticket.objects.filter(**filters)
        .select_related("event", "event__venue", "package", "guest", "booking")
        .order_by("manifest_line_id", "seat_index", "id")
    )


def artifact_jobs(tickets: list[Ticket], design) -> list[rendering.ArtifactJob]:
    """What to render for these tickets; paths name the exact content, so present files are reused."""
    signer = rendering.apple_signer()
    config, _ = rendering.google_wallet()
    packages = {}
    result = []
    for ticket in tickets:
        package = packages.get(ticket.package_id)
        if package is None:
            package = packages[ticket.package_id] = content.package_facts(ticket.package)
        fields = content.ticket_fields(ticket, package)
        pass_content = content.pass_content(ticket, design) if signer else None
        result.append(rendering.ArtifactJob(
            ticket_id=ticket.pk,
            fields=fields,
            pdf_path=str(pdf_file(ticket, design, fields)),
            pass_content=pass_content,
            pkpass_path=str(pkpass_file(ticket, pass_content)) if pass_content else "",
            google_object=(
                google.ticket_object(config.issuer_id, content.google_object_content(ticket)) if config else None
            ),
        ))
    return result


def produce_staged(*, booking_id, job_id=None, workers: int | None = None) -> int:
    """Render files and links for the booking's staged tickets and mark them issued; returns how many."""
    staged = list(_ticket_rows(booking_id=booking_id, status=TicketStatus.STAGED))
    if not staged:
        return 0
    design = content.design_for(staged[0].event)
    images = content.pass_images(design)
    work = artifact_jobs(staged, design)
    done_before = Ticket.objects.filter(booking_id=booking_id).exclude(status=TicketStatus.STAGED).count()

    def progress(count: int) -> None:
        if job_id is not None:
            jobs.advance(job_id, count)

    if job_id is not None:
        jobs.set_done_count(job_id, done_before)
    links = rendering.produce(design, images, work, workers=workers, on_progress=progress)
    now = timezone.now()
    with transaction.atomic():
        rows = list(Ticket.objects.select_for_update().filter(pk__in=links, status=TicketStatus.STAGED))
        for ticket in rows:
            ticket.status = TicketStatus.ISSUED
            ticket.issued_at = now
            ticket.wallet_updated_at = now
            ticket.google_save_url = links[ticket.pk]
        bulk.set_values(Ticket, rows, ["status", "issued_at", "wallet_updated_at", "google_save_url"])
        if rows and rendering.google_wallet()[0] is not None:
            event = staged[0].event
            outbox.enqueue("tickets.google.sync_class", {"event_id": event.pk},
                           idempotency_key=f"tickets-gw-class-{event.pk}-{design.key}", target=event)
            outbox.enqueue("tickets.google.sync_objects", {"ticket_ids": sorted(t.pk for t in rows)},
                           idempotency_key=f"tickets-gw-issue-{booking_id}-{min(t.pk for t in rows)}-{len(rows)}",
                           target=rows[0].booking)
    return len(rows)


def complete_issuance(*, booking_id, actor) -> Booking:
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        if booking.status == BookingStatus.ISSUED:
            return booking
        waiting = Ticket.objects.filter(booking=booking, status=TicketStatus.STAGED).count()
        if waiting:
            raise StateConflict(f"{waiting} tickets of {booking.reference} are still being produced.")
        count = Ticket.objects.filter(booking=booking).exclude(status=TicketStatus.REVOKED).count()
        booking = buyer_services.transition(
            booking_id=booking.pk, to_status=BookingStatus.ISSUED, actor=actor,
            summary=f"Issued {count} tickets for {booking.reference}", data={"tickets": count},
        )
        signals.tickets_issued.send(sender=Ticket, booking=booking, actor=actor)
    return booking


def run_issuance(*, job_id, booking_id, actor=None, channel: str | None = None, workers: int | None = None) -> None:
    """The issuance job: stage, produce, complete. A failure is recorded on the job; running it again resumes."""
    jobs.mark_running(job_id)
    try:
        ticket_ids = stage_tickets(booking_id=booking_id, actor=actor, channel=channel)
        jobs.mark_running(job_id, total=len(ticket_ids))
        produce_staged(booking_id=booking_id, job_id=job_id, workers=workers)
        complete_issuance(booking_id=booking_id, actor=actor)
    except Exception as exc:  # the job must end either way; the message is what staff see
        log.exception("ticket issuance for booking %s failed", booking_id)
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        jobs.finish(job_id, failed=True, error=message)
        raise
    jobs.finish(job_id)


# Reissue and revoke -------------------------------------------------------------------------------

def _locked_ticket(ticket_id) -> Ticket:
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("event", "event__venue", "booking", "package", "guest")
        .filter(pk=ticket_id).first()
    )
    if ticket is None:
        raise NotFound(f"Ticket {ticket_id} does not exist.")
    return ticket


def _content_changed(ticket: Ticket, *, reason: str) -> None:
    """A live ticket's printed or wallet content changed: drop cached files, tell the wallets."""
    files.invalidate_ticket(ticket.event_id, ticket.pk, ticket.booking_id)
    ticket.wallet_updated_at = timezone.now()
    config, signer = rendering.google_wallet()
    if config is not None and not ticket.revoked:
        obj = google.ticket_object(config.issuer_id, content.google_object_content(ticket))
        ticket.google_save_url = google.save_url(config, [obj], signer=signer)
    ticket.save(update_fields=["wallet_updated_at", "google_save_url", "updated_at"])
    stamp = int(ticket.wallet_updated_at.timestamp() * 1000)
    if AppleRegistration.objects.filter(ticket=ticket).exists():
        outbox.enqueue("tickets.apple.push", {"ticket_id": ticket.pk, "reason": reason},
                       idempotency_key=f"tickets-apns-{ticket.pk}-{stamp}", target=ticket)
    if config is not None:
        outbox.enqueue("tickets.google.update_object", {"ticket_id": ticket.pk, "reason": reason},
                       idempotency_key=f"tickets-gw-object-{ticket.pk}-{stamp}", target=ticket)


def _revoke_current_code(ticket: Ticket, reason: str, now) -> None:
    TicketCode.objects.filter(ticket=ticket, generation=ticket.generation, revoked_at__isnull=True).update(
        revoked_at=now, revoke_reason=reason
    )


def reissue_ticket(*, ticket_id, actor, reason: str = "") -> Ticket:
    """A new code and generation; the old code goes on the event's revocation list everywhere."""
    authorize(actor, "reissue_tickets")
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if ticket.revoked:
            raise StateConflict(f"Ticket {ticket.number} is revoked; a revoked ticket cannot be reissued.")
        if ticket.status == TicketStatus.STAGED:
            raise StateConflict(f"Ticket {ticket.number} has not been issued yet; issue the booking's tickets first.")
        if ticket.generation >= 65535:
            raise StateConflict(f"Ticket {ticket.number} has been reissued too many times.")
        holds.ensure_not_held(ticket, action="reissuing or transferring it")
        now = timezone.now()
        old_generation = ticket.generation
        _revoke_current_code(ticket, TicketCode.Reason.REISSUED, now)
        ticket.generation += 1
        key = keys.active_key(ticket.event_id)
        new_code = _sign(ticket, key, now)
        new_code.save()
        ticket.save(update_fields=["generation", "code", "valid_from", "valid_until", "updated_at"])
        _content_changed(ticket, reason="reissued")
        audit.record(actor, "tickets.reissued", f"Reissued {ticket.number} (generation {ticket.generation})",
                     target=ticket, data={"from_generation": old_generation, "to_generation": ticket.generation,
                                          "reason": reason})
        signals.ticket_reissued.send(sender=Ticket, ticket=ticket, previous_generation=old_generation, actor=actor)
        velocity.observe("ticket_reissues", subject=holds.ticket_subject(ticket), actor=actor)
    return ticket


def revoke_ticket(*, ticket_id, actor, reason: str = "") -> Ticket:
    """Revoke the code everywhere: gate list, Apple pass voided (and pushed), Google object expired."""
    authorize(actor, "reissue_tickets")
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if ticket.revoked:
            return ticket
        _revoke(ticket, actor=actor, reason=reason)
    return ticket


def _revoke(ticket: Ticket, *, actor, reason: str) -> None:
    now = timezone.now()
    _revoke_current_code(ticket, TicketCode.Reason.REVOKED, now)
    was = ticket.status
    ticket.status = TicketStatus.REVOKED
    ticket.revoked_at = now
    ticket.save(update_fields=["status", "revoked_at", "updated_at"])
    if was != TicketStatus.STAGED:
        _content_changed(ticket, reason="revoked")
    audit.record(actor, "tickets.revoked", f"Revoked {ticket.number}", target=ticket,
                 data={"generation": ticket.generation, "reason": reason})
    signals.ticket_revoked.send(sender=Ticket, ticket=ticket, actor=actor)


def revoke_booking_tickets(*, booking: Booking, actor, reason: str) -> int:
    """Every live ticket of a booking (cancellation); runs inside the caller's transaction."""
    tickets = list(
        Ticket.objects.select_for_update(of=("self",)).select_related("event", "booking", "package", "guest")
        .filter(booking=booking).exclude(status=TicketStatus.REVOKED)
    )
    for ticket in tickets:
        _revoke(ticket, actor=actor, reason=reason)
    return len(tickets)


def mark_sent(*, ticket_ids: list[int], actor, channel: str | None = None) -> int:
    """Distribution (lane 06) records that tickets went out; issued → sent."""
    with transaction.atomic():
        updates = {"status": TicketStatus.SENT, "updated_at": timezone.now()}
        if channel:
            if channel not in Channel.values:
                raise ValidationFailed(f"Use one of {', '.join(Channel.values)}.", field="channel")
            updates["channel"] = channel
        count = Ticket.objects.filter(pk__in=ticket_ids, status__in=LIVE_STATUSES).update(**updates)
        audit.record(actor, "tickets.sent", f"{count} tickets sent", data={"tickets": list(ticket_ids)[:200]})
    return count


def set_channel(*, ticket_id, channel: str, actor) -> Ticket:
    authorize(actor, "issue_tickets")
    if channel not in Channel.values:
        raise ValidationFailed(f"Use one of {', '.join(Channel.values)}.", field="channel")
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        ticket.channel = channel
        ticket.save(update_fields=["channel", "updated_at"])
        audit.record(actor, "tickets.channel_set", f"{ticket.number} delivered by {channel}", target=ticket)
    return ticket


# Designs and keys ---------------------------------------------------------------------------------

DESIGN_FIELDS = ("primary_colour", "accent_colour", "background_colour", "text_colour", "terms", "html", "css",
                 "entry_opens_at", "entry_closes_at")


def save_design(*, event_id, actor, values: dict, logo=None, hero=None, clear_logo: bool = False,
                clear_hero: bool = False) -> TicketDesign:
    """Update an event's ticket design; bumps its version, so every rendered file is remade on next use.

    A template that cannot render (bad syntax, a URL outside its assets) is refused with the reason.
    """
    authorize(actor, "manage_ticket_design")
    from django.core.exceptions import ValidationError as DjangoValidationError

    with transaction.atomic():
        event = Event.objects.select_for_update().select_related("venue").filter(pk=event_id).first()
        if event is None:
            raise NotFound(f"Event {event_id} does not exist.")
        design, _ = TicketDesign.objects.select_for_update().get_or_create(event=event)
        changed = {}
        for field in DESIGN_FIELDS:
            if field in values and getattr(design, field) != values[field]:
                changed[field] = str(values[field])[:80]
                setattr(design, field, values[field])
        if design.entry_opens_at and design.entry_closes_at and design.entry_closes_at <= design.entry_opens_at:
            raise ValidationFailed("The entry window must close after it opens.", field="entry_closes_at")
        for name, upload, clear in (("logo", logo, clear_logo), ("hero", hero, clear_hero)):
            if upload is not None:
                getattr(design, name).save(upload.name, upload, save=False)
                changed[name] = upload.name
            elif clear and getattr(design, name):
                getattr(design, name).delete(save=False)
                changed[name] = "removed"
        try:
            design.full_clean(exclude=["event", "updated_by"])
        except DjangoValidationError as exc:
            raise ValidationFailed.from_list(
                [{"field": field, "message": message} for field, messages in exc.message_dict.items()
                 for message in messages]
            ) from exc
        if not changed:
            return design
        design.version += 1
        design.updated_by = actor if getattr(actor, "pk", None) else None
        design.save()
        event.ticket_design = design
        _check_renders(event)
        files.invalidate_event(event.pk)
        if rendering.google_wallet()[0] is not None and Ticket.objects.filter(event=event).exists():
            # The Google class carries the event's colours and facts: push the new version.
            outbox.enqueue("tickets.google.sync_class", {"event_id": event.pk},
                           idempotency_key=f"tickets-gw-class-{event.pk}-v{design.version}", target=event)
        audit.record(actor, "tickets.design_saved", f"Ticket design of {event.code} is now v{design.version}",
                     target=design, data={"changed": changed})
    return design


def _check_renders(event: Event) -> None:
    from django.template import TemplateSyntaxError
    from weasyprint.urls import FatalURLFetchingError

    from . import previews

    try:
        previews.sample_pdf(event)
    except TemplateSyntaxError as exc:
        raise ValidationFailed(f"The template does not parse: {exc}", field="html") from exc
    except FatalURLFetchingError as exc:
        cause = exc.__cause__ or exc
        raise ValidationFailed(str(cause), field="html") from exc


def rotate_signing_key(*, event_id, actor) -> SigningKey:
    """New codes are signed with a new key; codes signed before keep verifying with the old one."""
    authorize(actor, "manage_ticket_design")
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound(f"Event {event_id} does not exist.")
        key = keys.rotate(event.pk)
        audit.record(actor, "tickets.signing_key_rotated", f"{event.code} signs tickets with key {key.key_id}",
                     target=event, data={"key_id": key.key_id})
    return key


# Apple Wallet web service -------------------------------------------------------------------------

def register_apple_device(*, ticket: Ticket, device_library_id: str, push_token: str) -> bool:
    """Returns True when the registration is new (Apple expects 201), False when it already existed (200)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                AppleRegistration.objects.create(ticket=ticket, device_library_id=device_library_id,
                                                 push_token=push_token)
                created = True
        except IntegrityError:
            AppleRegistration.objects.filter(ticket=ticket, device_library_id=device_library_id).update(
                push_token=push_token, updated_at=timezone.now())
            created = False
        audit.record("apple-wallet", "tickets.wallet_registered", f"{ticket.number} added to an Apple device",
                     target=ticket, data={"device": device_library_id[:64], "new": created})
    return created


def unregister_apple_device(*, ticket: Ticket, device_library_id: str) -> bool:
    with transaction.atomic():
        deleted, _ = AppleRegistration.objects.filter(ticket=ticket, device_library_id=device_library_id).delete()
        if deleted:
            audit.record("apple-wallet", "tickets.wallet_unregistered", f"{ticket.number} removed from a device",
                         target=ticket, data={"device": device_library_id[:64]})
    return bool(deleted)
