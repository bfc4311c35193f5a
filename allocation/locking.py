"""Every lock allocation takes, in one place, so the order is the same everywhere and deadlocks cannot form.

The order inside a transaction is always: the booking row (when the booking's status will change —
buyers' `transition` takes it too, and a cancellation arrives already holding it), then the event's
advisory lock, then event-unit rows by id. Holding the event lock serialises every stock decision
for that event, so a planner that reads "free" stock can trust it until commit. The guarded updates
below (`claim`, `take_from_pool`) re-check state in the UPDATE itself, so even a caller that forgot
the lock could not give one unit to two bookings.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F, Q

from buyers.models import Booking

from .models import EventUnit

# First key of Postgres' two-key advisory lock: our lane number, so other lanes' locks never collide.
ADVISORY_NAMESPACE = 3


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Stock locks only make sense inside transaction.atomic().")


def lock_booking(booking_id: int) -> str:
    """Row-lock the booking before the event lock, the order buyers' `transition` needs. Returns its status."""
    _require_transaction()
    return Booking.objects.select_for_update(of=("self",)).values_list("status", flat=True).get(pk=booking_id)


def lock_event(event_id: int) -> None:
    """Serialise stock decisions for one event until the transaction ends."""
    _require_transaction()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_NAMESPACE, event_id])
    # SQLite (local runs only) allows one writer at a time; select_for_update below is a no-op there.


def lock_rows(stock_ids: Iterable[int]) -> dict[int, EventUnit]:
    """Row-lock event units in id order and return them fresh from the database."""
    _require_transaction()
    ids = sorted(set(stock_ids))
    rows = (
        EventUnit.objects.select_for_update(of=("self",))
        .select_related("unit", "unit__area", "hold")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def lock_booking_rows(booking_id: int) -> list[EventUnit]:
    """Row-lock every event unit a booking holds, in id order."""
    _require_transaction()
    return list(
        EventUnit.objects.select_for_update(of=("self",))
        .select_related("unit", "unit__area", "package")
        .filter(booking_id=booking_id)
        .order_by("pk")
    )


def claim(stock_ids: Iterable[int], *, expected: Iterable[str], **changes) -> int:
    """Move rows still in an `expected` state to `changes`; returns how many moved.

    The state test is in the UPDATE's WHERE clause: a row another transaction already took is not
    overwritten, and the caller sees the shortfall in the count.
    """
    _require_transaction()
    ids = list(stock_ids)
    if not ids:
        return 0
    return EventUnit.objects.filter(pk__in=ids, state__in=list(expected)).update(**changes)


def take_from_pool(stock_id: int, quantity: int) -> bool:
    """Reserve `quantity` passes from a pool in one guarded update; False when too few are left."""
    _require_transaction()
    updated = EventUnit.objects.filter(
        Q(pk=stock_id) & Q(pool_taken__lte=F("pool_size") - quantity)
    ).update(pool_taken=F("pool_taken") + quantity)
    return updated == 1


def return_to_pool(stock_id: int, quantity: int) -> None:
    _require_transaction()
    updated = EventUnit.objects.filter(pk=stock_id, pool_taken__gte=quantity).update(
        pool_taken=F("pool_taken") - quantity
    )
    if updated != 1:
        raise RuntimeError(f"Pool {stock_id} has fewer than {quantity} passes taken; its counter is wrong.")
