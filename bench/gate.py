"""Benchmark: the gate scan API over loopback, and offline code verification.

    .venv/bin/python bench/gate.py [--rate 200] [--seconds 20] [--clients 16] [--workers 2] [--keep]

Creates (or recreates) the database `ec_bench_gate` on the server named by DATABASE_URL (default
postgres://postgres@127.0.0.1:5432), migrates it, makes an event with enough issued tickets, each
with a genuine EC1 code signed by the tickets lane's key, and a scanner token. Starts gunicorn
(production settings, gthread workers) on a free loopback port and:

1. paced run: scans arrive at `--rate` per second for `--seconds` (open loop: each scan has its
   send time, so a slow answer does not slow the arrivals) from `--clients` keep-alive connections;
   90 % first scans, 8 % repeats of an admitted ticket, 2 % garbage. Prints scans/s, p50/p90/p99 latency.
2. flat-out run: the same clients scan as fast as answers come back, for the peak rate.
3. offline verification: `tickets.codes.Verifier` (what a scanner builds from the gate bundle)
   checking codes on one core, codes/s.

Afterwards checks in the database that every ticket scanned was admitted exactly once.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from benchdb import ROOT, bench_url, recreate_database, setup_django

DB_NAME = "ec_bench_gate"
EVENT = "GATE2026"


def build(tickets: int) -> list[str]:
    """An event with `tickets` issued tickets (bulk inserts, then signed by the tickets lane's key)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    from allocation.models import Area, Manifest, ManifestLine, Unit
    from buyers.models import Booking, Buyer
    from eventchain.lifecycle import BookingStatus
    from eventchain.models import Event, Package, Venue
    from tickets.models import Ticket, TicketStatus

    call_command("migrate", verbosity=0)
    now = timezone.now()
    venue = Venue.objects.create(name="Gate Bench Arena")
    event = Event.objects.create(code=EVENT, name="Gate Bench", venue=venue, starts_at=now - timedelta(hours=1),
                                 ends_at=now + timedelta(hours=4))
    package = Package.objects.create(code="CLUB-SEAT", name="Club seat", event=event, inventory_kind="seat",
                                     unit_price=Decimal("650.00"), entitlements=["Club lounge", "Parking C"])
    area = Area.objects.create(venue=venue, name="Members")
    per_booking = 100
    bookings = Booking.objects.bulk_create(
        Booking(buyer=Buyer.objects.create(name=f"Gate buyer {i}"), event=event, package=package,
                headcount=per_booking, status=BookingStatus.DISTRIBUTED) for i in range(-(-tickets // per_booking)))
    units = Unit.objects.bulk_create(Unit(venue=venue, area=area, kind="seat", label=f"S{b.pk}", capacity=per_booking)
                                     for b in bookings)
    manifests = Manifest.objects.bulk_create(Manifest(booking=b, version=1) for b in bookings)
    lines = ManifestLine.objects.bulk_create(
        ManifestLine(manifest=m, unit=u, label=u.label, kind="seat", area=area.name, seats=per_booking,
                     quantity=per_booking, package=package, unit_price=package.unit_price)
        for m, u in zip(manifests, units, strict=True))
    made = Ticket.objects.bulk_create(
        (Ticket(number=f"{EVENT}-{n:06d}", booking=bookings[n // per_booking], event=event, package=package,
                manifest_line=lines[n // per_booking], unit=units[n // per_booking], seat_index=n % per_booking + 1,
                area=area.name, unit_label=units[n // per_booking].label, seat_label=f"Seat {n % per_booking + 1}",
                entitlements=package.entitlements, status=TicketStatus.ISSUED) for n in range(tickets)),
        batch_size=5000)
    sign_tickets(made, event, now)
    return [t.code for t in made]


def sign_tickets(made: list, event, now) -> None:
    """Give bulk-made tickets genuine EC1 codes signed by the event's key, valid from a day ago for three days."""
    from datetime import timedelta

    from tickets import codes, keys
    from tickets.models import Ticket

    key = keys.active_key(event.pk)
    valid_from, valid_until = int((now - timedelta(days=1)).timestamp()), int((now + timedelta(days=2)).timestamp())
    for ticket in made:
        ticket.code = keys.sign(key, codes.TicketClaim(key_id=key.key_id, event_id=event.pk, ticket_id=ticket.pk,
                                                        generation=1, valid_from=valid_from, valid_until=valid_until))
    Ticket.objects.bulk_update(made, ["code"], batch_size=5000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Production runs with Redis: a scan marks its booking's snapshot for the worker's batched refresh. Without
# Redis (the local demo) every admission would refresh the snapshot inside the request. No worker runs here;
# the one queued flush message goes to this run's own queue, deleted afterwards.
BENCH_REDIS = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
BENCH_QUEUE = f"bench-gate-{os.getpid()}"


def drop_bench_queue() -> None:
    import redis

    redis.Redis.from_url(BENCH_REDIS).delete(BENCH_QUEUE)


def start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 40,
           "REDIS_URL": BENCH_REDIS, "EVENTCHAIN_CELERY_QUEUE": BENCH_QUEUE,
           "ALLOWED_HOSTS": "127.0.0.1", "EVENTCHAIN_CRM_WEBHOOK_SECRET": "bench", "SECURE_SSL_REDIRECT": "0",
           "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "600",
           # One bench device sends the 2 % garbage of a whole gate; the failed-scan velocity rule would
           # (rightly) hold it after ten. The rule's own cost is measured with it on in tests/reporting.
           "EVENTCHAIN_VELOCITY_DEVICE_FAILED_SCANS": "0"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "eventchain.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-k", "gthread", "-w", str(workers), "--threads", str(threads), "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start listening within 30 s")


class Client:
    """One keep-alive connection posting scans; records latencies in seconds."""

    def __init__(self, port: int, token: str, name: str):
        self.port, self.name = port, name
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.nonce = 0

    def scan(self, code: str) -> tuple[float, str]:
        self.nonce += 1
        body = json.dumps({"code": code, "gate": "Gate A", "device_id": self.name, "nonce": f"{self.name}-{self.nonce}",
                           "scanned_at": datetime.now(UTC).isoformat()})
        started = time.perf_counter()
        self.conn.request("POST", "/api/v1/gate/scans", body, self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        return elapsed, json.loads(payload)["result"]


def workload(codes: list[str], count: int, rng: random.Random) -> tuple[list[str], int]:
    """90 % first scans of fresh tickets, 8 % repeats of an earlier one, 2 % garbage; and how many fresh used."""
    seen: list[str] = []
    items = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.02:
            items.append("EC1:NOT-A-REAL-TICKET")
        elif roll < 0.10 and seen:
            items.append(rng.choice(seen))
        else:
            code = codes[len(seen)]
            seen.append(code)
            items.append(code)
    return items, len(seen)


def run(port: int, token: str, items: list[str], clients: int, rate: float | None) -> dict:
    """Scans `items`; with a rate, each is sent at its scheduled time (open loop), else back to back."""
    lock = threading.Lock()
    position = {"next": 0}
    latencies, late, results, errors = [], [], {}, []
    start = time.perf_counter() + 0.2

    def worker(n: int):
        client = Client(port, token, f"bench-{n}-{time.time_ns()}")
        while True:
            with lock:
                index = position["next"]
                position["next"] += 1
            if index >= len(items):
                return
            if rate:
                due = start + index / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                else:
                    late.append(-wait)
            try:
                elapsed, result = client.scan(items[index])
            except Exception as exc:  # counted and shown; the run goes on
                errors.append(str(exc))
                client = Client(port, token, f"bench-{n}-{time.time_ns()}")
                continue
            with lock:
                latencies.append(elapsed)
                results[result] = results.get(result, 0) + 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    return {"scans": len(latencies), "seconds": took, "rate": len(latencies) / took, "p50": pct(0.50),
            "p90": pct(0.90), "p99": pct(0.99), "max": ordered[-1] * 1000 if ordered else float("nan"),
            "mean": statistics.fmean(ordered) * 1000 if ordered else float("nan"), "results": results,
            "errors": len(errors), "first_error": errors[0] if errors else "", "late": len([x for x in late if x > 0.005])}


def report(title: str, figures: dict) -> None:
    print(f"{title}")
    print(f"  scans                {figures['scans']:,} in {figures['seconds']:.1f} s = {figures['rate']:.0f} scans/s")
    print(f"  latency (ms)         p50 {figures['p50']:.1f} · p90 {figures['p90']:.1f} · p99 {figures['p99']:.1f}"
          f" · max {figures['max']:.1f} · mean {figures['mean']:.1f}")
    print(f"  answers              {figures['results']}")
    print(f"  errors               {figures['errors']} {figures['first_error']}")
    if figures["late"]:
        print(f"  sent late (>5 ms)    {figures['late']} (the clients could not keep the schedule)")


def offline_verification(codes_list: list[str], seconds: float = 3.0) -> float:
    from eventchain.models import Event
    from tickets import codes, keys

    event = Event.objects.get(code=EVENT)
    verifier = codes.Verifier({(event.pk, k.key_id): keys._public(k.public_key) for k in keys.public_keys(event.pk)})
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        for code in codes_list[:1000]:
            verifier.verify(code)
        done += min(1000, len(codes_list))
    return done / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--keep", action="store_true", help="Reuse the database of an earlier run.")
    args = parser.parse_args()
    url = bench_url(DB_NAME, "gate")
    paced = int(args.rate * args.seconds)
    flat_out = paced
    needed = int((paced + flat_out) * 0.95) + 1000
    if not args.keep:
        recreate_database(url)
    setup_django(url)
    print(f"gate bench: database {DB_NAME}, gunicorn {args.workers} workers × {args.threads} threads, "
          f"{args.clients} client connections, {os.cpu_count()} cores")
    from reporting.gate import devices
    from tickets.models import Ticket

    if args.keep:
        codes_list = list(Ticket.objects.filter(event__code=EVENT).order_by("id").values_list("code", flat=True))
    else:
        started = time.perf_counter()
        codes_list = build(needed)
        print(f"  built {len(codes_list):,} signed tickets in {time.perf_counter() - started:.1f} s")
    _, token = devices.create_gate_device(actor="bench", event_code=EVENT, gate="Gate A")
    rng = random.Random(7)
    port = free_port()
    server = start_server(url, port, args.workers, args.threads)
    try:
        warm, _ = workload(codes_list[-200:], 100, rng)
        run(port, token, warm, min(args.clients, 4), None)  # connections, key cache, code paths
        fresh = codes_list[:-200]
        items, used = workload(fresh, paced, rng)
        report(f"paced: {args.rate:.0f} scans/s for {args.seconds:.0f} s", run(port, token, items, args.clients, args.rate))
        report("flat out", run(port, token, workload(fresh[used:], flat_out, rng)[0], args.clients, None))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        drop_bench_queue()
    rate = offline_verification(codes_list)
    print(f"offline verification (one core)  {rate:,.0f} codes/s")
    from django.db.models import Count

    from reporting.models import Attendance, Scan

    doubles = Scan.objects.filter(result="admitted").values("ticket").annotate(n=Count("id")).filter(n__gt=1).count()
    print(f"check: {Attendance.objects.count():,} guests admitted, {doubles} tickets admitted twice (must be 0)")


if __name__ == "__main__":
    main()
