"""Load, all at once: gunicorn + PostgreSQL + Redis + a Celery worker on loopback, driven by one asyncio client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load.py --seconds 30

Recreates the database `eventchain_bench`, migrates, seeds (a buyer's booking with 1,000 issued tickets and 1,000
named guests, 950 of them holding a ticket, 20 portal sessions made through Django's session store, a gate
scanner token, one signed code per scan,
pre-signed CRM handoff bodies with unique deal ids), starts gunicorn (DEBUG=0, gthread) and a Celery
worker on its own Redis queue, then runs concurrently for --seconds:

  portal   20 buyers on their booking page (closed loop: each waits for its page, then reads it for
           --think seconds, ±50 %, before the next; first page of 25). --think 0 is a stress test with no
           pauses at all: 20 users then ask for as many pages as the server can give.
  handoff  CRM handoffs at 50/s (open loop: sent on schedule whatever the answers do)
  gate     gate scans at 200/s (open loop; distinct valid codes, 8 % repeats of an admitted code)

Prints scenario, target and achieved rate, p50/p95/p99 latency, errors and pass/fail (portal p95 < 100 ms,
open-loop rates within 5 % of target, no errors). Open-loop latency counts from each request's due time; at
most --in-flight requests per open-loop scenario are in flight. Every request is bounded (10 s), the phase has
a hard stop (requests outstanding then are cancelled and counted as timeouts), and gunicorn and the worker
run in their own process groups, stopped on any exit (normal, error, SIGTERM, Ctrl-C).
"""

import argparse
import asyncio
import atexit
import contextlib
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import benchdb
import loadclient

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "eventchain_bench"
CRM_SECRET = "bench-crm-secret"
PORTAL_P95_MS = 100.0
REQUEST_TIMEOUT = 10.0  # seconds; a request not answered by then counts as an error ("timeout")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--portal-users", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a portal user reads a page before the next (±50 %%); 0: no pauses")
    parser.add_argument("--handoff-rate", type=float, default=50)
    parser.add_argument("--scan-rate", type=float, default=200)
    # Four processes of two threads: with four threads per process they queued on each process's GIL, and
    # with two processes one often held most of the keep-alive connections (docs/performance.md).
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--in-flight", type=int, default=32,
                        help="most requests in flight per open-loop scenario (its client's connections)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11")
    return parser.parse_args()


# Seeding -----------------------------------------------------------------------------------------

def seed(users: int, scans: int) -> dict:
    """The portal booking (1,000 issued tickets), portal sessions, the gate codes and a scanner token."""
    from decimal import Decimal

    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from gate import EVENT, sign_tickets
    from gate import build as build_gate

    from allocation.models import Area, Manifest, ManifestLine, Unit
    from buyers.models import Booking, Buyer, Contact
    from distribution.portal.session import SESSION_KEY
    from eventchain import demo
    from eventchain.lifecycle import BookingStatus
    from eventchain.models import Event, Package
    from reporting.gate import devices
    from tickets.models import Guest, Ticket, TicketStatus

    gate_codes = build_gate(scans)  # migrates first
    _, gate_token = devices.create_gate_device(actor="bench", event_code=EVENT, gate="Gate A")
    demo.seed_catalogue()
    event = Event.objects.get(code="GF2026")
    package = Package.objects.get(event=event, code="TABLE-10")
    buyer = Buyer.objects.create(name="Load Bench Holdings")
    contact = Contact.objects.create(buyer=buyer, name="Pat Buyer", email="pat@load.example", is_primary=True)
    booking = Booking.objects.create(buyer=buyer, event=event, package=package, headcount=1000,
                                     status=BookingStatus.ISSUED)
    area = Area.objects.create(venue=event.venue, name="Load Bench Room")
    units = Unit.objects.bulk_create(Unit(venue=event.venue, area=area, kind="table", label=f"LB-T{n:03d}",
                                          capacity=10, position=n) for n in range(100))
    manifest = Manifest.objects.create(booking=booking, version=1)
    lines = ManifestLine.objects.bulk_create(
        ManifestLine(manifest=manifest, unit=u, label=u.label, kind="table", area=area.name, seats=10, quantity=1,
                     package=package, unit_price=Decimal("9500.00")) for u in units)
    now = timezone.now()
    # A booking as it looks once names are in: 1,000 guests, 950 of them holding a ticket, 50 still waiting.
    guests = Guest.objects.bulk_create(Guest(booking=booking, position=n + 1, name=f"Guest {n + 1:04d}",
                                             email=f"guest{n + 1}@load.example") for n in range(1000))
    made = Ticket.objects.bulk_create(
        Ticket(number=f"LB-{n:05d}", booking=booking, event=event, package=package, manifest_line=lines[n // 10],
               unit=units[n // 10], seat_index=n % 10 + 1, area=area.name, unit_label=units[n // 10].label,
               seat_label=f"Seat {n % 10 + 1}", entitlements=package.entitlements or [], status=TicketStatus.ISSUED,
               issued_at=now, guest=guests[n] if n < 950 else None) for n in range(1000))
    sign_tickets(made, event, now)
    cookies = []
    for _ in range(users):
        session = SessionStore()
        session[SESSION_KEY] = contact.pk
        session.create()
        cookies.append(session.session_key)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics as a running system has them, not the empty tables' defaults
    return {"booking": booking.pk, "cookies": cookies, "gate_token": gate_token, "gate_codes": gate_codes}


def handoff_bodies(count: int) -> list[tuple[bytes, dict]]:
    """Signed at seeding time (the signature window is minutes; the run is seconds)."""
    run = uuid.uuid4().hex[:8]
    stamp = str(int(time.time()))
    bodies = []
    for n in range(count):
        body = {
            "deal_id": f"LOAD-{run}-{n:06d}",
            "agent": {"email": "sales1@example.com", "name": "Sam Sales"},
            "account": {"name": f"Load Account {run} {n}", "crm_account_id": f"ACC-{run}-{n}"},
            "billing_entity": {"legal_name": f"Load Account {run} {n} Pty Ltd", "tax_number": "51 824 753 556",
                               "email": f"accounts{n}@load.example",
                               "address": {"line1": "1 George St", "line2": "", "city": "Sydney", "region": "NSW",
                                           "postcode": "2000", "country": "AU"}},
            "contacts": [{"name": "Pat Buyer", "email": f"pat{n}@load.example", "phone": "+61 2 5550 1234",
                          "role": "Event coordinator", "primary": True}],
            "booking": {"event_code": "GF2026", "package_code": "TABLE-10", "headcount": 10, "po_number": f"PO-{n}",
                        "payment_schedule": [{"label": "Deposit", "due_date": "2026-12-01", "percent": "30"},
                                             {"label": "Balance", "due_date": "2027-01-15", "percent": "70"}]},
        }
        raw = json.dumps(body).encode()
        signature = hmac.new(CRM_SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        bodies.append((raw, {"Content-Type": "application/json", "X-EventChain-Timestamp": stamp,
                             "X-EventChain-Signature": f"sha256={signature}"}))
    return bodies


# Processes ---------------------------------------------------------------------------------------

STARTED: list[subprocess.Popen] = []  # every server this run started; stopped by `finally` and by atexit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_env(url: str, redis_url: str, queue: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1", "EVENTCHAIN_CRM_WEBHOOK_SECRET": CRM_SECRET, "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "600", "REDIS_URL": redis_url,
            "EVENTCHAIN_CELERY_QUEUE": queue, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


def spawn(command: list[str], env: dict, **kwargs) -> subprocess.Popen:
    """Its own session, hence its own process group: stop() signals the group, workers and all."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **kwargs)
    STARTED.append(process)
    return process


def start_stack(env: dict, port: int, workers: int, threads: int) -> None:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    spawn([sys.executable, "-m", "gunicorn", "eventchain.wsgi:application", "-b", f"127.0.0.1:{port}", "-k",
           "gthread", "-w", str(workers), "--threads", str(threads), "--log-level", "warning",
           # Django is imported once, before the fork: every worker is ready when the first answers, so no
           # worker's start-up CPU falls inside the measured phase.
           "--preload"], env)
    spawn([sys.executable, "-m", "celery", "-A", "eventchain", "worker", "--pool", "solo", "--loglevel", "WARNING",
           "--queues", env["EVENTCHAIN_CELERY_QUEUE"], "--without-gossip", "--without-mingle", "--without-heartbeat"],
          env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start listening within 60 s")


def stop_all() -> None:
    """TERM each process group, KILL what is left after 20 s; safe to call twice (finally, then atexit)."""
    while STARTED:
        running = [p for p in STARTED if p.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # The group may outlive its leader (a worker still exiting): make sure nothing of it is left.
        for process in STARTED:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        STARTED.clear()


# Where the CPU went ------------------------------------------------------------------------------

def cpu_by_role() -> dict[str, float]:
    """CPU seconds (user + system) used so far by each kind of process on the machine, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited meanwhile
        role = ("this client" if int(entry.name) == os.getpid() else "gunicorn" if "gunicorn" in command
                else "celery worker" if "celery" in command else "postgresql" if command.startswith("postgres")
                else "redis" if "redis-server" in command else "everything else")
        used[role] = used.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return used


def cpu_table(before: dict[str, float], after: dict[str, float], elapsed: float) -> None:
    print(f"CPU during the phase ({elapsed:.0f} s × {os.cpu_count()} cores = {elapsed * os.cpu_count():.0f} core-s):")
    for role in sorted(after, key=lambda r: before.get(r, 0) - after[r]):
        spent = after[role] - before.get(role, 0.0)
        if spent >= 0.05:
            print(f"  {role:16} {spent:6.1f} core-s  ({spent / elapsed:4.2f} cores)")


# Load --------------------------------------------------------------------------------------------

class Results:
    def __init__(self, name: str, target: str):
        self.name, self.target = name, target
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.late = 0
        self.started = self.last_answer = 0.0  # perf_counter at the phase's start and at the last answer

    def rate(self, seconds: float) -> float:
        """Answers per second over the phase, or until the last answer if that came later."""
        return len(self.latencies) / max(seconds, self.last_answer - self.started)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def timed(client, results: Results, method: str, url: str, ok: set[int], started: float | None = None,
                **kwargs):
    """One request, bounded by REQUEST_TIMEOUT. Latency counts from `started` (an open-loop send's due time,
    so waiting for a free connection is part of it) or from now."""
    started = time.perf_counter() if started is None else started
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response = await client.request(method, url, **kwargs)
    except TimeoutError:
        results.error("timeout")
        return None
    except asyncio.CancelledError:
        results.error("outstanding at the deadline")  # counted as a timeout, then cancelled
        raise
    except Exception as exc:  # noqa: BLE001 — counted, the run goes on
        results.error(type(exc).__name__)
        return None
    results.last_answer = time.perf_counter()
    results.latencies.append(results.last_answer - started)
    if response.status_code not in ok:
        results.error(f"HTTP {response.status_code}")
    return response


async def portal_user(client, results: Results, url: str, cookie: str, until: float, think: float,
                      rng: random.Random):
    headers = {"Cookie": f"sessionid={cookie}"}
    while time.perf_counter() < until:
        response = await timed(client, results, "GET", url, {200}, headers=headers)
        if response is not None and response.status_code == 200 and b"LB-00000" not in response.content:
            results.error("page without the booking's tickets")
        if think:
            # A person reads the page before the next click (never past the end of the phase).
            await asyncio.sleep(max(0.0, min(think * rng.uniform(0.5, 1.5), until - time.perf_counter())))


async def open_loop(rate: float, seconds: float, send, results: Results, concurrency: int, spawned: set):
    """Request i is due at t0 + i/rate whatever earlier ones are doing, and its latency counts from then.

    At most `concurrency` requests are in flight (the client's pool has exactly that many connections):
    the rest wait here, in order, their clock running. Queuing them inside the HTTP client instead (httpx, before
    bench/loadclient.py) is what hung run 2:
    with thousands of requests waiting, httpcore re-scans its whole queue on every connection event, the
    client spent its CPU share on that bookkeeping and no request completed, for minutes."""
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int, due: float):
        try:
            await slots.acquire()
        except asyncio.CancelledError:
            results.error("not sent by the deadline")  # still waiting for a free connection: a timeout too
            raise
        try:
            if time.perf_counter() - due > 0.005:
                results.late += 1
            await send(i, due)
        finally:
            slots.release()

    started = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i, due))
        spawned.add(task)
        task.add_done_callback(spawned.discard)


WARM_UP = 48  # requests of each kind sent before the phase, spread over every worker


async def warm_up(portal_client, handoff_client, gate_client, page: str, seeded: dict, codes: list[str],
                  bodies: list, gate_headers: dict) -> None:
    """Each kind of request a few times over every worker before the clock starts: a worker's first page
    compiles its templates and its first queries open connections and prepare statements, which a server
    that has been running does not do again (without this, those first requests were the measured p99)."""
    scratch = Results("warm-up", "")
    requests = [timed(portal_client, scratch, "GET", page, {200}, headers={"Cookie": f"sessionid={cookie}"})
                for cookie in seeded["cookies"] * 3][:WARM_UP]
    requests += [timed(gate_client, scratch, "POST", "/api/v1/gate/scans", {200}, headers=gate_headers,
                       json={"code": code, "gate": "Gate A", "device_id": "load-bench-warm-up", "nonce": f"warm-{n}",
                             "scanned_at": datetime.now(UTC).isoformat()}) for n, code in enumerate(codes)]
    requests += [timed(handoff_client, scratch, "POST", "/api/v1/crm/handoff", {200, 201}, content=raw,
                       headers=headers) for raw, headers in bodies]
    await asyncio.gather(*requests)
    if scratch.errors:
        raise SystemExit(f"warm-up requests failed: {scratch.errors}")


async def drive(base: str, args, seeded: dict, bodies) -> tuple[list[Results], float, tuple]:
    portal = Results("portal booking page",
                     f"{args.portal_users} users (think {args.think:g} s), p95 < {PORTAL_P95_MS:.0f} ms")
    handoff = Results("CRM handoff", f"{args.handoff_rate:.0f}/s")
    gate = Results("gate scan", f"{args.scan_rate:.0f}/s")
    rng = random.Random(7)
    codes = list(seeded["gate_codes"])
    rng.shuffle(codes)
    warm_codes, codes = codes[-WARM_UP:], codes[:-WARM_UP]
    page = f"/portal/bookings/{seeded['booking']}/"
    scans, admitted = [], []
    for n in range(int(args.scan_rate * args.seconds)):
        if admitted and rng.random() < 0.08:
            scans.append(rng.choice(admitted))  # a repeat: answered "duplicate"
        else:
            scans.append(codes[n])
            admitted.append(codes[n])
    gate_headers = {"Authorization": f"Bearer {seeded['gate_token']}", "Content-Type": "application/json"}

    def client(connections: int):
        # One client per scenario, as many connections as the scenario's concurrency; no cookie jar shared.
        return loadclient.Client(base, connections)

    async with (client(max(1, args.portal_users)) as portal_client, client(args.in_flight) as handoff_client,
                client(args.in_flight) as gate_client):
        async def scan(i: int, due: float):
            body = {"code": scans[i], "gate": "Gate A", "device_id": "load-bench", "nonce": f"load-{i}",
                    "scanned_at": datetime.now(UTC).isoformat()}
            await timed(gate_client, gate, "POST", "/api/v1/gate/scans", {200}, due, json=body,
                        headers=gate_headers)

        async def send_handoff(i: int, due: float):
            raw, headers = bodies[i]
            await timed(handoff_client, handoff, "POST", "/api/v1/crm/handoff", {200, 201}, due, content=raw,
                        headers=headers)

        # gunicorn listens before its workers have imported Django: wait for real answers, outside the timing.
        deadline = time.perf_counter() + 180
        while True:
            try:
                async with asyncio.timeout(10):
                    if (await portal_client.get("/login/")).status_code == 200:
                        break
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                pass
            if time.perf_counter() > deadline:
                raise SystemExit("gunicorn did not answer within 180 s")
            await asyncio.sleep(1)
        await warm_up(portal_client, handoff_client, gate_client, page, seeded, warm_codes, bodies[-WARM_UP:],
                      gate_headers)
        print(f"phase: {args.seconds:.0f} s, all three loads at once (hard stop after "
              f"{args.seconds + REQUEST_TIMEOUT + 5:.0f} s)")
        spawned: set[asyncio.Task] = set()
        cpu_before = cpu_by_role()
        started = time.perf_counter()
        for scenario in (portal, handoff, gate):
            scenario.started = started
        until = started + args.seconds
        drivers = [asyncio.create_task(portal_user(portal_client, portal, page, cookie, until, args.think,
                                                      random.Random(n)))
                   for n, cookie in enumerate(seeded["cookies"])]
        drivers += [asyncio.create_task(open_loop(args.handoff_rate, args.seconds, send_handoff, handoff,
                                                  args.in_flight, spawned)),
                    asyncio.create_task(open_loop(args.scan_rate, args.seconds, scan, gate, args.in_flight,
                                                  spawned))]
        # The hard deadline: requests still outstanding then are cancelled and counted as timeouts.
        hard_stop = until + REQUEST_TIMEOUT + 5
        await asyncio.wait(drivers, timeout=max(0.0, hard_stop - time.perf_counter()))
        while spawned and time.perf_counter() < hard_stop:
            await asyncio.wait(set(spawned), timeout=max(0.0, hard_stop - time.perf_counter()))
        leftover = [task for task in [*drivers, *spawned] if not task.done()]
        for task in leftover:
            task.cancel()
        await asyncio.wait(leftover, timeout=10) if leftover else None
        elapsed = min(time.perf_counter(), hard_stop) - started
        cpu = (cpu_before, cpu_by_role())
    if leftover:
        print(f"hard stop: {len(leftover)} tasks still running were cancelled (counted as timeouts)")
    return [portal, handoff, gate], elapsed, cpu


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def table(results: list[Results], args) -> bool:
    rows, passed = [], True
    for r in results:
        rate = r.rate(args.seconds)
        errors = sum(r.errors.values())
        p95 = percentile(r.latencies, 95)
        if r.name.startswith("portal"):
            ok = p95 < PORTAL_P95_MS and not errors
        else:
            target = args.handoff_rate if r.name.startswith("CRM") else args.scan_rate
            ok = rate >= 0.95 * target and not errors
        passed &= ok
        rows.append((r.name, r.target, f"{rate:.1f}/s", f"{percentile(r.latencies, 50):.1f}", f"{p95:.1f}",
                     f"{percentile(r.latencies, 99):.1f}", f"{errors}" + (f" {r.errors}" if errors else ""),
                     f"{r.late}", "PASS" if ok else "FAIL"))
    head = ("scenario", "target", "achieved", "p50 ms", "p95 ms", "p99 ms", "errors", "sent late", "result")
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    return passed


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg()) + " (1/5/15 min)"


def interrupted(signum, frame):
    print(f"signal {signum}: stopping gunicorn and the Celery worker", file=sys.stderr)
    stop_all()
    os._exit(128 + signum)


def main() -> None:
    args = parse_args()
    # The servers are stopped however this process ends: normally (finally), on sys.exit (atexit), and on
    # SIGTERM/Ctrl-C (the handler stops them first, then exits without waiting on the event loop's cleanup).
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    sys.stdout.reconfigure(line_buffering=True)
    url = benchdb.bench_url(DB_NAME, "load")
    benchdb.recreate_database(url)
    queue = f"bench-load-{uuid.uuid4().hex[:8]}"
    env = stack_env(url, args.redis, queue)
    # Sessions are seeded here and read by gunicorn: both must sign with the same SECRET_KEY.
    os.environ.update({k: env[k] for k in ("EVENTCHAIN_CRM_WEBHOOK_SECRET", "SECRET_KEY")})
    benchdb.setup_django(url)
    started = time.perf_counter()
    seeded = seed(args.portal_users, int(args.scan_rate * args.seconds) + 100)
    bodies = handoff_bodies(int(args.handoff_rate * args.seconds) + WARM_UP)
    print(f"load bench: database {DB_NAME}, gunicorn {args.workers} workers × {args.threads} threads + Celery worker, "
          f"{os.cpu_count()} cores, load average {load_average()}; seeded in {time.perf_counter() - started:.1f} s")
    port = free_port()
    try:
        start_stack(env, port, args.workers, args.threads)
        results, elapsed, cpu = asyncio.run(drive(f"http://127.0.0.1:{port}", args, seeded, bodies))
        print(f"ran {elapsed:.1f} s; load average at the end of the phase: {load_average()}")
        cpu_table(*cpu, elapsed)
    finally:
        stop_all()
    passed = table(results, args)
    from buyers.models import Booking

    made = Booking.objects.filter(crm_deal_id__startswith="LOAD-").count() - WARM_UP  # the warm-up's made theirs
    answered = len(results[1].latencies) - sum(n for what, n in results[1].errors.items() if what.startswith("HTTP"))
    print(f"check: {made} bookings made, {answered} handoffs answered 200/201 (equal unless some timed out "
          f"on the client after the server had accepted them)")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
