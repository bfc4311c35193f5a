"""Lane 06 reads reused by the console and the portal. Functions here take rows the caller has
already scoped (the portal passes only its buyer's bookings and tickets; see portal/queries.py)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q

from buyers.models import Booking
from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry
from tickets.models import Ticket, TicketCode

from .models import DeliveryMessage, MessageStatus, TicketTransfer, TrackingEvent, TrackingKind

STATUS_KEY = {MessageStatus.QUEUED: "queued", MessageStatus.SENT: "queued", MessageStatus.DELIVERED: "delivered",
              MessageStatus.BOUNCED: "bounced", MessageStatus.FAILED: "failed"}
EVENT_COUNTS = {
    "opened": Q(kind=TrackingKind.OPENED),
    "downloads": Q(kind__in=[TrackingKind.DOWNLOADED_PDF, TrackingKind.DOWNLOADED_PKPASS]),
    "wallet": Q(kind__in=[TrackingKind.WALLET_APPLE, TrackingKind.WALLET_GOOGLE]),
}


def booking_counts(booking_ids) -> dict[int, dict]:
    """Per booking: emails by status, and opens, downloads and wallet adds (two queries)."""
    booking_ids = list(booking_ids)
    zero = {"messages": 0, "queued": 0, "delivered": 0, "bounced": 0, "failed": 0, "opened": 0, "downloads": 0,
            "wallet": 0}
    counts = {booking_id: dict(zero) for booking_id in booking_ids}
    for row in (DeliveryMessage.objects.filter(booking_id__in=booking_ids).values("booking_id", "status")
                .annotate(n=Count("id")).order_by()):
        entry = counts[row["booking_id"]]
        entry["messages"] += row["n"]
        entry[STATUS_KEY[row["status"]]] += row["n"]
    aggregates = {name: Count("id", filter=condition) for name, condition in EVENT_COUNTS.items()}
    for row in (TrackingEvent.objects.filter(booking_id__in=booking_ids).values("booking_id")
                .annotate(**aggregates).order_by()):
        counts[row["booking_id"]].update({name: row[name] for name in aggregates})
    return counts


def booking_messages(booking_id):
    return (
        DeliveryMessage.objects.filter(booking_id=booking_id)
        .select_related("outbox").prefetch_related("tickets").order_by("-created_at", "-id")
    )


def latest_message_by_ticket(ticket_ids) -> dict[int, DeliveryMessage]:
    """Each ticket's most recent email, for the "delivery" column."""
    through = DeliveryMessage.tickets.through
    latest: dict[int, DeliveryMessage] = {}
    rows = (through.objects.filter(ticket_id__in=list(ticket_ids)).select_related("deliverymessage")
            .order_by("ticket_id", "-deliverymessage__created_at", "-deliverymessage_id"))
    for row in rows:
        latest.setdefault(row.ticket_id, row.deliverymessage)
    return latest


@dataclass
class TimelineEntry:
    at: datetime
    label: str
    detail: str = ""
    tone: str = "info"  # badge class: ok, warn, bad, info


TONES = {
    TrackingKind.BOUNCED: "bad", TrackingKind.DELIVERED: "ok", TrackingKind.WALLET_APPLE: "ok",
    TrackingKind.WALLET_GOOGLE: "ok", TrackingKind.CLAIMED: "warn",
}


AUDITED = {"tickets.reissued": "Reissued", "tickets.revoked": "Revoked", "distribution.resent": "Resend requested"}


def ticket_timeline(ticket: Ticket) -> list[TimelineEntry]:
    """Everything that happened to one ticket, oldest first: codes, emails and what recipients did."""
    entries = [TimelineEntry(code.issued_at, f"Code generation {code.generation} issued")
               for code in TicketCode.objects.filter(ticket=ticket).order_by("generation")]
    for entry in AuditEntry.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk),
                                           action__in=AUDITED).select_related("actor"):
        reason = entry.data.get("reason") or ""
        entries.append(TimelineEntry(entry.when, AUDITED[entry.action],
                                     f"by {entry.actor_display}" + (f": {reason}" if reason else ""),
                                     "bad" if entry.action == "tickets.revoked" else "warn"))
    events = (
        TrackingEvent.objects.filter(Q(ticket=ticket) | Q(ticket__isnull=True, message__tickets=ticket))
        .select_related("message").distinct().order_by("at", "id")
    )
    for event in events:
        detail = ""
        if event.message_id:
            detail = f"{event.message.get_kind_display()} · {event.message.recipient_email}"
        if event.kind == TrackingKind.CLAIMED:
            detail = f"from {event.data.get('from') or 'no guest'} to {event.data.get('to', '')}"
        elif event.kind == TrackingKind.BOUNCED:
            detail = f"{detail}: {event.data.get('reason', '')}"
        elif event.data.get("source"):
            detail = f"{detail} (via {event.data['source']})".strip()
        entries.append(TimelineEntry(event.at, event.get_kind_display(), detail, TONES.get(event.kind, "info")))
    return sorted(entries, key=lambda entry: entry.at)


def transfers(ticket_ids):
    return TicketTransfer.objects.filter(ticket_id__in=list(ticket_ids)).order_by("-at")


# Console ------------------------------------------------------------------------------------------

def bookings_to_distribute(search: str = "", state: str = "ready"):
    statuses = {"ready": [BookingStatus.ISSUED], "sent": [BookingStatus.DISTRIBUTED, BookingStatus.CLOSED]}
    problems = DeliveryMessage.objects.filter(booking=OuterRef("pk"),
                                              status__in=[MessageStatus.BOUNCED, MessageStatus.FAILED])
    rows = (
        Booking.objects.filter(status__in=statuses.get(state, statuses["ready"]))
        .select_related("buyer", "event", "package")
        .annotate(has_problems=Exists(problems))
        .order_by("event__starts_at", "-status_changed_at", "id")
    )
    if search:
        query = Q(buyer__name__icontains=search) | Q(event__code__iexact=search)
        digits = search.upper().removeprefix("BK-").lstrip("0")
        if digits.isdigit():
            query |= Q(pk=int(digits))
        rows = rows.filter(query)
    return rows


def problem_messages():
    return (
        DeliveryMessage.objects.filter(status__in=[MessageStatus.BOUNCED, MessageStatus.FAILED])
        .select_related("booking", "booking__buyer").order_by("-created_at")
    )


def waiting_messages():
    return DeliveryMessage.objects.filter(status__in=[MessageStatus.QUEUED, MessageStatus.SENT]).exclude(
        last_error="").select_related("booking", "booking__buyer").order_by("created_at")
