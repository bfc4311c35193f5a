"""The buyer profile: each booking's allocation, invoice and payment, delivery and attendance status.

`BookingSnapshot` is recomputed from the source tables after any lane changes a booking (receivers in
reporting/receivers.py call `schedule_refresh`), once per booking per transaction, by a Celery task queued
after it commits.
`BookingActivity` keeps the story in words, written inside the transaction that made the change.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from buyers.models import Booking
from distribution.models import DeliveryMessage, MessageKind, MessageStatus, TrackingEvent, TrackingKind
from eventchain.models import InventoryKind
from finance.models import CreditNote, Invoice
from tickets.models import Ticket, TicketStatus

from .models import Attendance, BookingActivity, BookingSnapshot
from .reports.figures import ZERO, _current_lines, _sum

logger = logging.getLogger(__name__)


def record_activity(booking: Booking, kind: str, summary: str, **data) -> BookingActivity:
    return BookingActivity.objects.create(booking=booking, buyer_id=booking.buyer_id, kind=kind,
                                          summary=summary[:300], data=data)


class _Refresh:
    """An on-commit callback that knows its booking, so one transaction queues each booking once."""

    def __init__(self, booking_id: int):
        self.booking_id = booking_id
        self.done = False

    def __call__(self):
        self.done = True
        if settings.CELERY_TASK_ALWAYS_EAGER:  # local runs and tests: no worker, so now and in order
            refresh_snapshot(self.booking_id)
            return
        # A worker recomputes it, at most once per booking per REFRESH_DELAY: the snapshot's dozen
        # aggregates were a third of a CRM handoff and, at a busy gate, ran again for every scan.
        from .tasks import refresh_booking_snapshot

        if not cache.add(pending_key(self.booking_id), 1, timeout=REFRESH_DELAY * 30):
            return  # a refresh is already queued and has not started: it will see this change
        try:
            refresh_booking_snapshot.apply_async((self.booking_id,), countdown=REFRESH_DELAY)
        except Exception:  # the broker is down: the request already committed, so refresh here instead
            cache.delete(pending_key(self.booking_id))
            logger.warning("Broker unavailable; refreshing booking %s snapshot in the request", self.booking_id)
            refresh_snapshot(self.booking_id)


REFRESH_DELAY = 2  # seconds a snapshot may lag behind a burst of changes to its booking


def pending_key(booking_id: int) -> str:
    return f"reporting:snapshot-pending:{booking_id}"


def schedule_refresh(booking_id: int) -> None:
    connection = transaction.get_connection()
    queued = connection.run_on_commit if connection.in_atomic_block else []
    if any(isinstance(func, _Refresh) and func.booking_id == booking_id and not func.done for _, func, *_ in queued):
        return
    transaction.on_commit(_Refresh(booking_id))


def delivery_counts(booking: Booking) -> dict[str, int]:
    """Emails and what guests did with their tickets, as labels a person reads (zeros left out)."""
    messages = DeliveryMessage.objects.filter(booking=booking).exclude(kind=MessageKind.MAGIC_LINK).order_by()
    sent = messages.aggregate(
        delivered=Count("id", filter=Q(status=MessageStatus.DELIVERED)),
        bounced=Count("id", filter=Q(status=MessageStatus.BOUNCED)),
        failed=Count("id", filter=Q(status=MessageStatus.FAILED)),
        waiting=Count("id", filter=Q(status__in=(MessageStatus.QUEUED, MessageStatus.SENT))),
    )
    used = TrackingEvent.objects.filter(booking=booking).order_by().aggregate(
        opened=Count("message", filter=Q(kind=TrackingKind.OPENED), distinct=True),
        pdf=Count("id", filter=Q(kind=TrackingKind.DOWNLOADED_PDF)),
        apple=Count("ticket", filter=Q(kind__in=(TrackingKind.WALLET_APPLE, TrackingKind.DOWNLOADED_PKPASS)),
                    distinct=True),
        google=Count("ticket", filter=Q(kind__in=(TrackingKind.WALLET_GOOGLE, TrackingKind.GOOGLE_LINK)),
                     distinct=True),
    )
    labels = {
        "Emails delivered": sent["delivered"], "Emails waiting": sent["waiting"], "Bounced": sent["bounced"],
        "Failed": sent["failed"], "Opened": used["opened"], "PDF downloads": used["pdf"],
        "Apple Wallet": used["apple"], "Google Wallet": used["google"],
    }
    return {label: count for label, count in labels.items() if count}


def snapshot_values(booking: Booking) -> dict:
    """The snapshot's figures, each an aggregate over one source table."""
    lines = _current_lines(Q(manifest__booking=booking)).aggregate(
        units=Coalesce(Sum("quantity", filter=Q(comp=False)), 0),
        guests=Coalesce(Sum("seats", filter=~Q(kind=InventoryKind.PASS)), 0),
        comps=Coalesce(Sum("seats", filter=Q(comp=True) & ~Q(kind=InventoryKind.PASS)), 0),
        value=_sum(F("unit_price") * F("quantity"), filter=Q(comp=False)),
    )
    version = booking.manifests.order_by("-version").values_list("version", flat=True).first()
    invoices = Invoice.objects.filter(booking=booking).order_by().aggregate(
        invoiced=_sum("total"), paid=_sum("amount_paid"), outstanding=_sum("amount_due"),
    )
    numbers = list(Invoice.objects.filter(booking=booking).order_by("id").values_list("number", flat=True)[:6])
    credited = CreditNote.objects.filter(invoice__booking=booking).aggregate(total=_sum("total"))["total"]
    live = Q(status__in=(TicketStatus.ISSUED, TicketStatus.SENT))
    tickets = Ticket.objects.filter(booking=booking).order_by().aggregate(
        live=Count("id", filter=live), sent=Count("id", filter=Q(status=TicketStatus.SENT)),
        revoked=Count("id", filter=Q(status=TicketStatus.REVOKED)), reissued=Coalesce(Sum(F("generation") - 1), 0),
    )
    attendance = Attendance.objects.filter(booking=booking).order_by().aggregate(
        admitted=Count("id", filter=Q(status=Attendance.Status.ADMITTED)),
        no_show=Count("id", filter=Q(status=Attendance.Status.NO_SHOW)),
    )
    return {
        "buyer_id": booking.buyer_id, "status": booking.status, "manifest_version": version,
        "units": lines["units"], "seats": lines["guests"], "comps": lines["comps"],
        "allocation_value": lines["value"] if version else ZERO,
        "invoice_numbers": ", ".join(numbers), "invoiced": invoices["invoiced"], "paid": invoices["paid"],
        "outstanding": invoices["outstanding"], "credited": credited,
        "tickets": tickets["live"], "tickets_sent": tickets["sent"], "tickets_revoked": tickets["revoked"],
        "tickets_reissued": tickets["reissued"], "delivery": delivery_counts(booking),
        "admitted": attendance["admitted"], "no_show": attendance["no_show"],
    }


def refresh_snapshot(booking_id: int) -> BookingSnapshot | None:
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        return None
    with transaction.atomic():
        snapshot, _ = BookingSnapshot.objects.update_or_create(booking=booking, defaults=snapshot_values(booking))
    return snapshot


def refresh_all(booking_ids=None) -> int:
    """Backfill (e.g. after adding reporting to a running system); normal changes refresh themselves."""
    ids = booking_ids if booking_ids is not None else Booking.objects.order_by("id").values_list("id", flat=True)
    count = 0
    for booking_id in ids:
        refresh_snapshot(booking_id)
        count += 1
    return count
