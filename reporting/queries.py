"""Reads for the dashboard (the ops lead's morning exception queue) and the reporting pages.

Each function is one query whatever the data size, so the dashboard's query count stays flat.
"""

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Min, Sum
from django.db.models.expressions import Window
from django.db.models.functions import Now, RowNumber

from buyers.models import Booking
from eventchain.lifecycle import BookingStatus
from eventchain.models import OutboxMessage
from finance.models import UnmatchedReceipt

from .models import BuyerOutcome

FINAL_STATES = (BookingStatus.CLOSED, BookingStatus.CANCELLED)
STUCK_PER_STAGE = 3


def bookings_by_status() -> list[dict]:
    """Every lifecycle state with its count, oldest and average time-in-stage, in flow order (one query)."""
    age = ExpressionWrapper(Now() - F("status_changed_at"), output_field=DurationField())
    rows = {
        row["status"]: row
        for row in Booking.objects.order_by().values("status")
        .annotate(n=Count("id"), oldest=Min("status_changed_at"), average_age=Avg(age))
    }
    return [
        {"status": value, "label": label, "count": rows.get(value, {}).get("n", 0),
         "oldest": rows.get(value, {}).get("oldest"), "average_age": rows.get(value, {}).get("average_age")}
        for value, label in BookingStatus.choices
    ]


def stuck_bookings(per_stage: int = STUCK_PER_STAGE) -> dict[str, list[Booking]]:
    """The longest-waiting bookings in each open stage (one query, ranked by a window function)."""
    ranked = (
        Booking.objects.exclude(status__in=FINAL_STATES)
        .annotate(rank=Window(RowNumber(), partition_by=[F("status")], order_by=[F("status_changed_at").asc(),
                                                                                 F("id").asc()]))
        .filter(rank__lte=per_stage)
        .select_related("buyer", "event", "package")
        .order_by("status", "rank")
    )
    stuck: dict[str, list[Booking]] = {}
    for booking in ranked:
        stuck.setdefault(booking.status, []).append(booking)
    return stuck


def outbox_attention() -> list[dict]:
    """Failed and dead outbound messages by kind, oldest first to look at (one query)."""
    return list(
        OutboxMessage.objects.filter(status__in=[OutboxMessage.Status.FAILED, OutboxMessage.Status.DEAD])
        .order_by().values("kind", "status").annotate(n=Count("id"), oldest=Min("updated_at")).order_by("oldest")
    )


def unmatched_payments() -> list[dict]:
    """Open items in finance's payment queue, by reason, with the money involved (one query)."""
    labels = dict(UnmatchedReceipt.Reason.choices)
    rows = (
        UnmatchedReceipt.objects.filter(resolved_at__isnull=True).order_by().values("reason")
        .annotate(n=Count("id"), amount=Sum("amount"), oldest=Min("created_at")).order_by("reason")
    )
    return [{**row, "label": labels.get(row["reason"], row["reason"])} for row in rows]


def next_cycle(*, event_code: str = "", renewal: str = "", search: str = ""):
    """Buyers' outcomes from closed events: who to re-engage for the next cycle, best first."""
    rows = BuyerOutcome.objects.select_related("buyer", "buyer__sales_agent", "event", "message")
    if event_code:
        rows = rows.filter(event__code=event_code)
    if renewal == "yes":
        rows = rows.filter(renewal=True)
    elif renewal == "no":
        rows = rows.filter(renewal=False)
    if search:
        rows = rows.filter(buyer__name__icontains=search)
    return rows.order_by("-renewal", "-attendance_rate", "-spend", "buyer__name")
