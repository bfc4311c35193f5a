"""Reads for the dashboard and reports."""

from django.db.models import Count, Min

from buyers.models import Booking
from eventchain.lifecycle import BookingStatus


def bookings_by_status() -> list[dict]:
    """Every lifecycle state with its count and oldest time-in-stage, in flow order (one query)."""
    rows = {
        row["status"]: row
        for row in Booking.objects.order_by().values("status").annotate(n=Count("id"), oldest=Min("status_changed_at"))
    }
    return [
        {"status": value, "label": label, "count": rows.get(value, {}).get("n", 0),
         "oldest": rows.get(value, {}).get("oldest")}
        for value, label in BookingStatus.choices
    ]
