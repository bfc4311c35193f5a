"""No oversell: many bookings racing for the last units on Postgres, each thread its own connection."""

import json
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from allocation import services
from allocation.models import EventUnit, PoolShare, StockState
from eventchain.errors import StateConflict

RACERS = 24


def race(work, count=RACERS):
    """Run work(i) in `count` threads released together; returns [(i, result or exception)]."""
    start = threading.Barrier(count)
    results = []

    def run(i):
        try:
            start.wait(timeout=20)
            results.append((i, work(i)))
        except Exception as exc:  # the losers' StateConflict is the point of the test
            results.append((i, exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == count, "a racer hung"
    return results


@pytest.mark.django_db(transaction=True)
def test_racing_package_reservations_for_the_last_boxes(postgres_only, stock, make_booking, fulfilment):
    bookings = [make_booking(stock, "BOX-8", 8) for _ in range(RACERS)]

    results = race(lambda i: services.allocate_booking(booking_id=bookings[i].pk, actor=fulfilment))

    winners = [r for _, r in results if not isinstance(r, Exception)]
    losers = [r for _, r in results if isinstance(r, Exception)]
    assert len(winners) == 3  # the venue has three boxes
    assert all(isinstance(e, StateConflict) and "stays unallocated" in e.message and "Short by 1 box" in e.message
               for e in losers), losers
    boxes = EventUnit.objects.filter(event=stock, unit__kind="box")
    assert all(box.state == StockState.RESERVED and box.booking_id for box in boxes)
    assert len({box.booking_id for box in boxes}) == 3  # each box has one booking, each booking one box


@pytest.mark.django_db(transaction=True)
def test_racing_api_calls_for_one_named_unit_give_one_winner_and_clear_409s(postgres_only, stock, make_booking,
                                                                            api_token):
    bookings = [make_booking(stock, "BOX-8", 8) for _ in range(RACERS)]
    token = api_token("fulfilment")

    def call(i):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            f"/api/v1/bookings/{bookings[i].pk}/allocate", data=json.dumps({"units": ["BOX-02"]}),
            content_type="application/json")
        return response.status_code, response.json()

    results = race(call)

    statuses = Counter(status for _, (status, _) in results)
    assert statuses == {200: 1, 409: RACERS - 1}
    winner = next(bookings[i] for i, (status, _) in results if status == 200)
    for _, (status, body) in results:
        if status == 409:
            assert body == {"errors": [{"field": None, "message": f"BOX-02 is already taken by {winner.reference}."}]}
    assert EventUnit.objects.get(event=stock, unit__label="BOX-02").booking == winner


@pytest.mark.django_db(transaction=True)
def test_racing_for_seats_and_passes_never_double_books(postgres_only, stock, make_booking, fulfilment):
    """Parties of 3 for 16 club seats (north and south) and parties of 3 passes for a pool of 20."""
    seat_bookings = [make_booking(stock, "CLUB-SEAT", 3) for _ in range(RACERS)]
    pass_bookings = [make_booking(stock, "PARKING", 3) for _ in range(RACERS)]

    def work(i):
        booking = seat_bookings[i // 2] if i % 2 == 0 else pass_bookings[i // 2]
        return services.allocate_booking(booking_id=booking.pk, actor=fulfilment)

    results = race(work, count=2 * RACERS)

    assert all(isinstance(r, StateConflict) for _, r in results if isinstance(r, Exception))
    seats = EventUnit.objects.filter(event=stock, unit__kind="seat", unit__parent__isnull=True)
    taken = Counter(seats.exclude(booking=None).values_list("booking_id", flat=True))
    assert all(n == 3 for n in taken.values())  # every winning party got its three seats, nobody shares one
    assert len(taken) == 5  # 16 seats: four parties of 3 in Club North, one in Club South, one seat left
    pool = EventUnit.objects.get(event=stock, unit__label="PARKING-C")
    assert pool.pool_taken == sum(PoolShare.objects.values_list("quantity", flat=True)) == 18
    assert pool.pool_taken <= pool.pool_size


@pytest.mark.django_db(transaction=True)
def test_cancelling_in_buyers_while_confirming_never_deadlocks(postgres_only, stock, make_booking, fulfilment):
    """Both paths take the booking row before the event lock, so they queue instead of deadlocking."""
    from buyers import services as buyer_services
    from eventchain.errors import DomainError
    from eventchain.lifecycle import BookingStatus

    for _ in range(4):
        booking = make_booking(stock, "CLUB-SEAT", 2)
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
        work = [
            lambda: services.confirm_allocation(booking_id=booking.pk, actor=fulfilment),
            lambda: buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.CANCELLED,
                                              actor=fulfilment),
        ]
        results = race(lambda i, work=work: work[i](), count=2)
        unexpected = [r for _, r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
        assert unexpected == []
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert not EventUnit.objects.filter(booking=booking).exists()
