"""Benchmark: the event report over 50,000 tickets and 50,000 scans on PostgreSQL.

    .venv/bin/python bench/reports.py [--tickets 50000] [--scans 50000] [--runs 5] [--keep]

Creates (or recreates) the database `ec_bench_reports` on the server named by DATABASE_URL
(default postgres://postgres@127.0.0.1:5432), migrates it and bulk-inserts one event: tables of ten
in four areas, bookings of ten tables each with their manifests, invoices and some credit notes,
one issued ticket per seat across the three delivery channels, delivery tracking (PDF downloads and
wallet adds), scans (80 % admitted, the rest duplicates and invalid codes) with their attendance
rows. Then times `reporting.reports.figures.event_report` (the `GET /api/v1/events/{code}/report`
body) cold and warm, and prints the query count. `--keep` reuses the data of an earlier run.
"""

import argparse
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from benchdb import bench_url, recreate_database, setup_django

DB_NAME = "ec_bench_reports"
EVENT = "BENCH50K"
SEATS = 10
TABLES_PER_BOOKING = 10
AREAS = ("North Dining", "South Dining", "East Terrace", "West Terrace")


def timed(label: str, func):
    started = time.perf_counter()
    result = func()
    print(f"  {label:<34} {time.perf_counter() - started:6.1f} s")
    return result


def build(tickets: int, scans: int) -> None:
    """Bulk inserts only: the bench measures the report, not the lanes that would make these rows."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from allocation.models import Area, EventUnit, Manifest, ManifestLine, StockState, Unit
    from buyers.models import Booking, Buyer
    from distribution.models import TrackingEvent, TrackingKind
    from eventchain.lifecycle import BookingStatus
    from eventchain.models import Event, InventoryKind, Package, Venue
    from finance.models import CreditNote, Invoice
    from reporting.models import Attendance, Scan
    from tickets.models import Channel, Ticket, TicketStatus

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    now = timezone.now()
    venue = Venue.objects.create(name="Bench Arena", timezone="Australia/Sydney")
    event = Event.objects.create(code=EVENT, name="Bench Final", venue=venue, starts_at=now - timedelta(hours=3),
                                 ends_at=now + timedelta(hours=1))
    package = Package.objects.create(code="TABLE-10", name="Table of 10", event=event, inventory_kind="table",
                                     seats_per_unit=SEATS, unit_price=Decimal("9500.00"),
                                     entitlements=["Lunch", "Lounge access"])
    areas = Area.objects.bulk_create(Area(venue=venue, name=name, position=i) for i, name in enumerate(AREAS))
    tables = -(-tickets // SEATS)
    spare = tables // 10  # a tenth more tables than sold, so capacity and sell-through mean something
    units = timed("units", lambda: Unit.objects.bulk_create(
        (Unit(venue=venue, area=areas[i % len(areas)], kind=InventoryKind.TABLE, label=f"T{i:06d}", capacity=SEATS,
              position=i) for i in range(tables + spare)), batch_size=5000))
    bookings_needed = -(-tables // TABLES_PER_BOOKING)
    buyers = Buyer.objects.bulk_create(Buyer(name=f"Bench buyer {i:05d}") for i in range(bookings_needed))
    bookings = Booking.objects.bulk_create(
        Booking(buyer=b, event=event, package=package, headcount=SEATS * TABLES_PER_BOOKING,
                status=BookingStatus.DISTRIBUTED) for b in buyers)
    manifests = Manifest.objects.bulk_create(Manifest(booking=b, version=1) for b in bookings)
    EventUnit.objects.bulk_create(
        (EventUnit(event=event, unit=unit, state=StockState.ALLOCATED if i < tables else StockState.AVAILABLE,
                   booking=bookings[i // TABLES_PER_BOOKING] if i < tables else None,
                   package=package if i < tables else None) for i, unit in enumerate(units)), batch_size=5000)
    lines = timed("manifest lines", lambda: ManifestLine.objects.bulk_create(
        (ManifestLine(manifest=manifests[i // TABLES_PER_BOOKING], unit=units[i], label=units[i].label, kind="table",
                      area=AREAS[i % len(AREAS)], seats=SEATS, quantity=1, package=package,
                      unit_price=package.unit_price, comp=(i % 50 == 49)) for i in range(tables)), batch_size=5000))
    subtotal = package.unit_price * TABLES_PER_BOOKING
    invoices = Invoice.objects.bulk_create(
        Invoice(number=f"INV-B{i:05d}", booking=b, manifest=manifests[i], status="posted", currency="AUD",
                issue_date=date.today(), due_date=date.today(), supplier_name="Bench", supplier_tax_number="1",
                bill_to_name=b.buyer.name, subtotal=subtotal, tax=subtotal / 10, total=subtotal * Decimal("1.1"),
                amount_paid=subtotal if i % 3 else Decimal("0.00"), amount_due=subtotal * Decimal("1.1") - (
                    subtotal if i % 3 else Decimal("0.00")), ledger_backend="local")
        for i, b in enumerate(bookings))
    CreditNote.objects.bulk_create(
        CreditNote(number=f"CN-B{i:05d}", invoice=inv, reason="reduction", issue_date=date.today(),
                   subtotal=Decimal("950.00"), tax=Decimal("95.00"), total=Decimal("1045.00"),
                   amount_applied=Decimal("0.00"), ledger_backend="local")
        for i, inv in enumerate(invoices) if i % 10 == 0)
    channels = (Channel.EMAIL_BUYER, Channel.EMAIL_GUEST, Channel.PORTAL_COLLECT)
    made = timed(f"{tickets:,} tickets", lambda: Ticket.objects.bulk_create(
        (Ticket(number=f"{EVENT}-{n:06d}", booking=bookings[n // (SEATS * TABLES_PER_BOOKING)], event=event,
                package=package, manifest_line=lines[n // SEATS], unit=units[n // SEATS], seat_index=n % SEATS + 1,
                area=AREAS[(n // SEATS) % len(AREAS)], unit_label=units[n // SEATS].label,
                seat_label=f"Seat {n % SEATS + 1}", entitlements=package.entitlements,
                generation=2 if n % 97 == 0 else 1, code=f"EC1:BENCH{n:06d}",
                status=TicketStatus.REVOKED if n % 199 == 0 else TicketStatus.ISSUED, channel=channels[n % 3])
         for n in range(tickets)), batch_size=5000))
    timed("tracking events", lambda: TrackingEvent.objects.bulk_create(
        (TrackingEvent(booking_id=t.booking_id, ticket=t, kind=(TrackingKind.DOWNLOADED_PDF, TrackingKind.WALLET_APPLE,
                                                                 TrackingKind.WALLET_GOOGLE)[n % 3])
         for n, t in enumerate(made) if n % 2 == 0), batch_size=5000))
    admitted = min(int(scans * 0.8), tickets)
    at = now - timedelta(hours=2)

    def scan_rows():
        for n in range(scans):
            if n < admitted:
                t, result = made[n], "admitted"
            elif n < scans * 0.92:
                t, result = made[n % admitted], "duplicate"
            else:
                t, result = None, "invalid"
            yield Scan(event=event, source="device", device_id="bench", nonce=f"n{n}", gate=f"Gate {n % 6}",
                       code=t.code if t else "junk", ticket=t, booking_id=t.booking_id if t else None,
                       generation=1 if t else None, scanned_at=at + timedelta(milliseconds=50 * n),
                       result=result, message=result, response={"result": result})

    timed(f"{scans:,} scans", lambda: Scan.objects.bulk_create(scan_rows(), batch_size=5000))
    timed(f"{admitted:,} attendance rows", lambda: Attendance.objects.bulk_create(
        (Attendance(ticket=t, event=event, booking_id=t.booking_id, status="admitted", gate="Gate 1",
                    first_admitted_at=at, last_admitted_at=at, admissions=1) for t in made[:admitted]),
        batch_size=5000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics for the fresh tables, as autovacuum would soon


def measure(runs: int) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from eventchain.models import Event
    from reporting.models import Scan
    from reporting.reports import figures
    from reporting.reports.charts import report_charts
    from tickets.models import Ticket

    event = Event.objects.get(code=EVENT)
    print(f"event {EVENT}: {Ticket.objects.filter(event=event).count():,} tickets, "
          f"{Scan.objects.filter(event=event).count():,} scans")
    timings = []
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = figures.event_report(event)
        timings.append(time.perf_counter() - started)
    print(f"  first run (cold caches)      {timings[0] * 1000:7.1f} ms, {len(queries.captured_queries)} queries")
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
    for query in slowest:
        print(f"    {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}…")
    for _ in range(runs):
        reset_queries()
        started = time.perf_counter()
        figures.event_report(event)
        timings.append(time.perf_counter() - started)
    warm = timings[1:]
    print(f"  warm runs ({runs})                median {statistics.median(warm) * 1000:7.1f} ms, "
          f"max {max(warm) * 1000:7.1f} ms")
    started = time.perf_counter()
    report_charts(report)
    print(f"  charts from the figures      {(time.perf_counter() - started) * 1000:7.1f} ms")
    a, y = report["attendance"], report["yield"]
    print(f"  figures: {a['tickets']:,} live tickets, {a['admitted']:,} admitted, rate {a['rate']}; "
          f"revenue {y['revenue']} over {y['units']:,} units; scans {a['scans']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--scans", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="Reuse the database of an earlier run.")
    args = parser.parse_args()
    url = bench_url(DB_NAME, "reports")
    if not args.keep:
        recreate_database(url)
    setup_django(url)
    from django.conf import settings

    settings.DEBUG = True  # CaptureQueriesContext needs the debug cursor for per-query times
    print(f"report bench: database {DB_NAME}")
    if not args.keep:
        print("building (bulk inserts):")
        build(args.tickets, args.scans)
    measure(args.runs)


if __name__ == "__main__":
    main()
