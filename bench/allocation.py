"""Benchmark: N concurrent clients reserving stock of one event on PostgreSQL.

    .venv/bin/python bench/allocation.py [--clients 8] [--bookings 900] [--keep]

Creates (or recreates) the database `ec_bench_allocation` on the server named by DATABASE_URL
(default postgres://postgres@127.0.0.1:5432), migrates it, seeds the demo venue (2,501 units) and
enough confirmed bookings of GF2026 to oversubscribe its club seats, then lets the clients allocate
them by package through `allocation.services.allocate_booking` (the path the API and console use),
each client in its own thread with its own connection. Prints units reserved per minute, conflicts
(bookings refused because the stock had gone) and the oversold count, which must be 0.
"""

import argparse
import queue
import random
import sys
import threading
import time
from collections import Counter

from benchdb import bench_url, recreate_database, setup_django

DB_NAME = "ec_bench_allocation"

# Package, party sizes; weights give a mix of club seats, tables, boxes, suites and parking.
DEMAND = [("CLUB-SEAT", range(1, 7), 70), ("TABLE-10", range(6, 21), 8), ("BOX-8", range(4, 9), 3),
          ("SUITE-12", range(8, 13), 4), ("PARKING", range(1, 5), 15)]


def seed(bookings: int, rng: random.Random) -> list[int]:
    from django.core.management import call_command

    from allocation import demo as allocation_demo
    from buyers.models import BillingEntity, Booking, Buyer
    from eventchain import demo as kernel_demo
    from eventchain.lifecycle import BookingStatus
    from eventchain.models import Event

    call_command("migrate", verbosity=0)
    kernel_demo.seed()
    allocation_demo.seed()
    event = Event.objects.get(code="GF2026")
    packages = {p.code: p for p in event.packages.all()}
    buyers = Buyer.objects.bulk_create(Buyer(name=f"Bench buyer {i:04d}") for i in range(bookings))
    entities = BillingEntity.objects.bulk_create(
        BillingEntity(buyer=b, legal_name=b.name, email="ap@bench.example", address_line1="1 Bench St",
                      city="Sydney", postcode="2000") for b in buyers)
    codes, sizes, weights = zip(*DEMAND, strict=True)
    rows = []
    for buyer, entity in zip(buyers, entities, strict=True):
        i = rng.choices(range(len(codes)), weights=weights)[0]
        rows.append(Booking(buyer=buyer, billing_entity=entity, event=event, package=packages[codes[i]],
                            headcount=rng.choice(sizes[i]), status=BookingStatus.CONFIRMED))
    return [b.pk for b in Booking.objects.bulk_create(rows)]


def run(clients: int, booking_ids: list[int]) -> dict:
    from django.db import connection

    from allocation import services
    from eventchain.errors import StateConflict

    work: queue.Queue[int] = queue.Queue()
    for pk in booking_ids:
        work.put(pk)
    tally: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client():
        local: Counter = Counter()
        start.wait()
        try:
            while True:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    break
                try:
                    outcome = services.allocate_booking(booking_id=pk, actor="bench", source="bench")
                except StateConflict:
                    local["conflicts"] += 1
                except Exception as exc:  # reported, never hidden
                    local["errors"] += 1
                    local[f"error: {type(exc).__name__}: {exc}"[:160]] += 1
                else:
                    local["allocated"] += 1
                    local["units"] += sum(h.quantity for h in outcome.holdings)
                    local["guests"] += sum(h.seats for h in outcome.holdings)
        finally:
            connection.close()
            with lock:
                tally.update(local)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    tally["seconds"] = time.perf_counter() - began
    return tally


def oversold(event_code: str = "GF2026") -> dict:
    """Every way stock could be sold twice, counted from the database after the run."""
    from django.db.models import F, Sum

    from allocation.models import BOOKED_STATES, EventUnit, PoolShare
    from buyers.models import Booking

    stock = EventUnit.objects.filter(event__code=event_code)
    checks = {
        # A pool counter above its size, or out of step with the shares that took passes.
        "pools over size": stock.filter(pool_taken__gt=F("pool_size")).count(),
        "pool counters off": sum(
            1 for pool in stock.filter(unit__kind="pass")
            if pool.pool_taken != (PoolShare.objects.filter(pool=pool).aggregate(n=Sum("quantity"))["n"] or 0)),
        # A seat inside a table held by one booking while the whole table is held by another.
        "seats under a taken table": stock.filter(state__in=BOOKED_STATES, unit__parent__isnull=False).filter(
            unit__parent__event_stock__event__code=event_code,
            unit__parent__event_stock__state__in=BOOKED_STATES).count(),
        # A booked row without a booking (the schema refuses it; counted to prove it).
        "booked rows without booking": stock.filter(state__in=BOOKED_STATES, booking__isnull=True).count(),
    }
    # A booking given fewer seats than its party (would mean a lost update overwrote its rows).
    short = 0
    for booking in Booking.objects.filter(event__code=event_code, stock__isnull=False).distinct().select_related(
            "package"):
        seats = sum(1 if row.unit.kind == "seat" else row.unit.capacity
                    for row in stock.filter(booking=booking, package=booking.package).select_related("unit"))
        if seats < booking.headcount and booking.package.inventory_kind != "pass":
            short += 1
    checks["bookings short of their party"] = short
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads), default 8")
    parser.add_argument("--bookings", type=int, default=900, help="confirmed bookings to allocate, default 900")
    parser.add_argument("--seed", type=int, default=26, help="random seed for the party mix")
    args = parser.parse_args()

    url = bench_url(DB_NAME, "allocation")
    recreate_database(url)
    setup_django(url)
    rng = random.Random(args.seed)
    booking_ids = seed(args.bookings, rng)
    rng.shuffle(booking_ids)

    tally = run(args.clients, booking_ids)
    checks = oversold()
    minutes = tally["seconds"] / 60
    print(f"allocation bench: {args.clients} clients, {len(booking_ids)} bookings for GF2026 "
          f"(demo venue, 2,501 units), database {DB_NAME}")
    print(f"  time                 {tally['seconds']:.1f} s")
    print(f"  bookings allocated   {tally['allocated']}  ({tally['allocated'] / minutes:,.0f}/minute)")
    print(f"  units reserved       {tally['units']}  ({tally['units'] / minutes:,.0f} units/minute/event)")
    print(f"  guests placed        {tally['guests']}")
    print(f"  conflicts (409)      {tally['conflicts']}  (stock had run out for that party)")
    print(f"  errors               {tally['errors']}")
    for key, n in sorted(tally.items()):
        if key.startswith("error: "):
            print(f"    {n} × {key[7:]}")
    total = sum(checks.values())
    print(f"  oversold             {total}  ({', '.join(f'{k}: {v}' for k, v in checks.items())})")
    sys.exit(1 if total or tally["errors"] else 0)


if __name__ == "__main__":
    main()
