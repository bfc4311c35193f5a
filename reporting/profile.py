"""The buyer profile: each booking's allocation, invoice and payment, delivery and attendance status.

`BookingSnapshot` is recomputed from the source tables after any lane changes a booking (receivers in
reporting/receivers.py call `schedule_refresh`): with a worker, the changing transaction leaves a
`SnapshotDirty` mark and one queued task (or beat's, every minute) refreshes every marked booking at once,
with set-based queries; local runs and tests refresh on commit.
`BookingActivity` keeps the story in words, written inside the transaction that made the change.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber

from allocation.models import Manifest
from buyers.models import Booking
from distribution.models import DeliveryMessage, MessageKind, MessageStatus, TrackingEvent, TrackingKind
from eventchain.models import InventoryKind
from finance.models import CreditNote, Invoice
from tickets.models import Ticket, TicketStatus

from .models import Attendance, BookingActivity, BookingSnapshot, SnapshotDirty
from .reports.figures import ZERO, _current_lines, _sum

logger = logging.getLogger(__name__)


def record_activity(booking: Booking, kind: str, summary: str, **data) -> BookingActivity:
    return BookingActivity.objects.create(booking=booking, buyer_id=booking.buyer_id, kind=kind,
                                          summary=summary[:300], data=data)


class _Refresh:
    """An on-commit callback that knows its booking, so one transaction refreshes (or marks) each booking once."""

    def __init__(self, booking_id: int, eager: bool):
        self.booking_id = booking_id
        self.eager = eager
        self.done = False

    def __call__(self):
        self.done = True
        if self.eager:  # local runs and tests: no worker, so now and in order
            refresh_snapshot(self.booking_id)
        # With a worker the booking's SnapshotDirty mark has committed with the change; _QueueFlush takes it.


class _QueueFlush:
    """After a transaction that marked bookings commits: queue one flush of every mark, unless one is queued."""

    def __init__(self):
        self.done = False

    def __call__(self):
        self.done = True
        from .tasks import refresh_dirty_snapshots

        # The request has committed and so have its marks: if Redis or the broker is down, they wait for beat's
        # flush (every minute) rather than fail a request that has already happened.
        try:
            if not cache.add(FLUSH_QUEUED_KEY, 1, timeout=FLUSH_QUEUED_TIMEOUT):
                return  # a flush is queued and has not started: it will take this transaction's marks too
        except Exception:
            logger.warning("Cache unavailable; booking snapshots stay marked until the next flush")
            return
        try:
            refresh_dirty_snapshots.apply_async(countdown=REFRESH_DELAY)
        except Exception:
            cache.delete(FLUSH_QUEUED_KEY)  # so the next commit tries again
            logger.warning("Broker unavailable; booking snapshots stay marked until the next flush")


REFRESH_DELAY = 2  # seconds a snapshot may lag behind a burst of changes, so one flush takes the whole burst
FLUSH_QUEUED_KEY = "reporting:snapshot-flush-queued"
# If a queued flush is lost, the flag lets later commits queue another after this long (beat flushes meanwhile).
FLUSH_QUEUED_TIMEOUT = REFRESH_DELAY * 30
FLUSH_BATCH = 1000  # marks per pass, one transaction each: bounds its length and what a crash repeats
REFRESH_CHUNK = 500  # bookings per refresh_snapshots call in a backfill


def schedule_refresh(booking_id: int) -> None:
    """Bring the booking's snapshot up to date after the caller's transaction commits.

    Eager (no worker): recompute it on commit. With a worker: mark it in the caller's transaction, so the mark
    is as durable as the change, and queue one flush per burst of commits (one task for many bookings, where one
    per booking cost the worker a third of its CPU at 50 handoffs/s).
    """
    current = transaction.get_connection()
    queued = current.run_on_commit if current.in_atomic_block else []
    pending = [func for _, func, *_ in queued if isinstance(func, (_Refresh, _QueueFlush)) and not func.done]
    if any(isinstance(func, _Refresh) and func.booking_id == booking_id for func in pending):
        return
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    if not eager:
        SnapshotDirty.objects.bulk_create([SnapshotDirty(booking_id=booking_id)])
        if not any(isinstance(func, _QueueFlush) for func in pending):
            transaction.on_commit(_QueueFlush())
    transaction.on_commit(_Refresh(booking_id, eager))


def refresh_dirty(batch: int = FLUSH_BATCH) -> int:
    """The worker's flush (and beat's backstop): refresh every marked booking, a pass of `batch` marks at a time.

    Each pass deletes its marks and writes their snapshots in one transaction, so a crash puts the marks back.
    Concurrent flushes skip each other's marks rather than wait for them.
    """
    cache.delete(FLUSH_QUEUED_KEY)  # first: a change committed from now on queues another flush
    table = connection.ops.quote_name(SnapshotDirty._meta.db_table)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    take = (f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT %s{skip_locked}) "  # noqa: S608
            "RETURNING booking_id")
    refreshed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(take, [batch])
            marks = [booking_id for (booking_id,) in cursor.fetchall()]
            refreshed += refresh_snapshots(set(marks))
        if len(marks) < batch:
            return refreshed


def _delivery_counts_for(booking_ids: list[int]) -> dict[int, dict[str, int]]:
    messages = (
        DeliveryMessage.objects.filter(booking_id__in=booking_ids).exclude(kind=MessageKind.MAGIC_LINK)
        .order_by().values("booking_id").annotate(
            delivered=Count("id", filter=Q(status=MessageStatus.DELIVERED)),
            bounced=Count("id", filter=Q(status=MessageStatus.BOUNCED)),
            failed=Count("id", filter=Q(status=MessageStatus.FAILED)),
            waiting=Count("id", filter=Q(status__in=(MessageStatus.QUEUED, MessageStatus.SENT))),
        )
    )
    used = TrackingEvent.objects.filter(booking_id__in=booking_ids).order_by().values("booking_id").annotate(
        opened=Count("message", filter=Q(kind=TrackingKind.OPENED), distinct=True),
        pdf=Count("id", filter=Q(kind=TrackingKind.DOWNLOADED_PDF)),
        apple=Count("ticket", filter=Q(kind__in=(TrackingKind.WALLET_APPLE, TrackingKind.DOWNLOADED_PKPASS)),
                    distinct=True),
        google=Count("ticket", filter=Q(kind__in=(TrackingKind.WALLET_GOOGLE, TrackingKind.GOOGLE_LINK)),
                     distinct=True),
    )
    sent, used = _by_booking(messages), _by_booking(used)
    counts = {}
    for booking_id in booking_ids:
        s, u = sent.get(booking_id, {}), used.get(booking_id, {})
        labels = {
            "Emails delivered": s.get("delivered"), "Emails waiting": s.get("waiting"), "Bounced": s.get("bounced"),
            "Failed": s.get("failed"), "Opened": u.get("opened"), "PDF downloads": u.get("pdf"),
            "Apple Wallet": u.get("apple"), "Google Wallet": u.get("google"),
        }
        counts[booking_id] = {label: count for label, count in labels.items() if count}
    return counts


def delivery_counts(booking: Booking) -> dict[str, int]:
    """Emails and what guests did with their tickets, as labels a person reads (zeros left out)."""
    return _delivery_counts_for([booking.pk])[booking.pk]


def _by_booking(rows, key: str = "booking_id") -> dict[int, dict]:
    return {row.pop(key): row for row in rows}


def _figures_for(booking_ids: list[int]) -> dict[int, dict]:
    """Every figure but the booking's own columns: each an aggregate over one source table, grouped by booking,
    so the number of queries does not depend on the number of bookings."""
    lines = _by_booking(
        _current_lines(Q(manifest__booking_id__in=booking_ids)).values(booking_id=F("manifest__booking_id")).annotate(
            units=Coalesce(Sum("quantity", filter=Q(comp=False)), 0),
            guests=Coalesce(Sum("seats", filter=~Q(kind=InventoryKind.PASS)), 0),
            comps=Coalesce(Sum("seats", filter=Q(comp=True) & ~Q(kind=InventoryKind.PASS)), 0),
            value=_sum(F("unit_price") * F("quantity"), filter=Q(comp=False)),
        )
    )
    versions = dict(Manifest.objects.filter(booking_id__in=booking_ids).order_by().values("booking_id")
                    .annotate(latest=Max("version")).values_list("booking_id", "latest"))
    invoices = _by_booking(Invoice.objects.filter(booking_id__in=booking_ids).order_by().values("booking_id").annotate(
        invoiced=_sum("total"), paid=_sum("amount_paid"), outstanding=_sum("amount_due"),
    ))
    numbers: dict[int, list[str]] = {}
    first_six = (
        Invoice.objects.filter(booking_id__in=booking_ids)
        .annotate(position=Window(RowNumber(), partition_by=F("booking_id"), order_by=F("id").asc()))
        .filter(position__lte=6).order_by("booking_id", "id").values_list("booking_id", "number")
    )
    for booking_id, number in first_six:
        numbers.setdefault(booking_id, []).append(number)
    credited = dict(CreditNote.objects.filter(invoice__booking_id__in=booking_ids).order_by()
                    .values(booking_id=F("invoice__booking_id")).annotate(total=_sum("total"))
                    .values_list("booking_id", "total"))
    live = Q(status__in=(TicketStatus.ISSUED, TicketStatus.SENT))
    tickets = _by_booking(Ticket.objects.filter(booking_id__in=booking_ids).order_by().values("booking_id").annotate(
        live=Count("id", filter=live), sent=Count("id", filter=Q(status=TicketStatus.SENT)),
        revoked=Count("id", filter=Q(status=TicketStatus.REVOKED)), reissued=Coalesce(Sum(F("generation") - 1), 0),
    ))
    attendance = _by_booking(Attendance.objects.filter(booking_id__in=booking_ids).order_by().values("booking_id")
                             .annotate(admitted=Count("id", filter=Q(status=Attendance.Status.ADMITTED)),
                                       no_show=Count("id", filter=Q(status=Attendance.Status.NO_SHOW))))
    delivery = _delivery_counts_for(booking_ids)
    no_lines = {"units": 0, "guests": 0, "comps": 0, "value": ZERO}
    no_invoices = {"invoiced": ZERO, "paid": ZERO, "outstanding": ZERO}
    no_tickets = {"live": 0, "sent": 0, "revoked": 0, "reissued": 0}
    figures = {}
    for booking_id in booking_ids:
        line, version = lines.get(booking_id, no_lines), versions.get(booking_id)
        invoice, ticket = invoices.get(booking_id, no_invoices), tickets.get(booking_id, no_tickets)
        present = attendance.get(booking_id, {"admitted": 0, "no_show": 0})
        figures[booking_id] = {
            "manifest_version": version, "units": line["units"], "seats": line["guests"], "comps": line["comps"],
            "allocation_value": line["value"] if version else ZERO,
            "invoice_numbers": ", ".join(numbers.get(booking_id, ())), "invoiced": invoice["invoiced"],
            "paid": invoice["paid"], "outstanding": invoice["outstanding"], "credited": credited.get(booking_id, ZERO),
            "tickets": ticket["live"], "tickets_sent": ticket["sent"], "tickets_revoked": ticket["revoked"],
            "tickets_reissued": ticket["reissued"], "delivery": delivery[booking_id],
            "admitted": present["admitted"], "no_show": present["no_show"],
        }
    return figures


def snapshot_values_for(booking_ids) -> dict[int, dict]:
    """The snapshot figures of many bookings at once, by booking id (deleted bookings left out)."""
    bookings = list(Booking.objects.filter(pk__in=set(booking_ids)).order_by("pk").values_list("pk", "buyer_id",
                                                                                                 "status"))
    figures = _figures_for([pk for pk, _, _ in bookings])
    return {pk: {"buyer_id": buyer_id, "status": status, **figures[pk]} for pk, buyer_id, status in bookings}


def snapshot_values(booking: Booking) -> dict:
    """The snapshot's figures, each an aggregate over one source table."""
    return {"buyer_id": booking.buyer_id, "status": booking.status, **_figures_for([booking.pk])[booking.pk]}


# What a refresh overwrites: every figure and updated_at (bulk_create's pre_save sets it on every row).
_SNAPSHOT_FIELDS = [field.name for field in BookingSnapshot._meta.concrete_fields
                    if not field.primary_key and field.name != "booking"]


def _write(values: dict[int, dict]) -> list[BookingSnapshot]:
    """Insert or overwrite the bookings' snapshots in one statement (in booking order, so two writers of
    overlapping sets lock rows in the same order)."""
    rows = [BookingSnapshot(booking_id=pk, **figures) for pk, figures in sorted(values.items())]
    if rows:
        BookingSnapshot.objects.bulk_create(rows, update_conflicts=True, unique_fields=["booking"],
                                            update_fields=_SNAPSHOT_FIELDS)
    return rows


def refresh_snapshots(booking_ids) -> int:
    """Recompute the bookings' snapshots from the source tables (idempotent); returns how many were written."""
    return len(_write(snapshot_values_for(booking_ids)))


def refresh_snapshot(booking_id: int) -> BookingSnapshot | None:
    rows = _write(snapshot_values_for([booking_id]))
    return rows[0] if rows else None


def refresh_all(booking_ids=None) -> int:
    """Backfill (e.g. after adding reporting to a running system); normal changes refresh themselves."""
    ids = list(booking_ids) if booking_ids is not None else list(
        Booking.objects.order_by("id").values_list("id", flat=True))
    return sum(refresh_snapshots(ids[start:start + REFRESH_CHUNK]) for start in range(0, len(ids), REFRESH_CHUNK))
