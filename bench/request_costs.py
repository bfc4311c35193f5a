"""What one request of each load scenario costs, in-process: CPU, wall time, SQL statements, tasks queued.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/request_costs.py [--count 200]
        [--profile handoff|scan|portal] [--top 25]

Seeds the database `ec_bench_costs` as `bench/load.py` does (a booking of 1,000 issued tickets with portal
sessions, a scanner token and signed codes, signed CRM handoffs), then sends each scenario's request through
Django's full handler (every middleware, production settings: DEBUG=0) with the test client, one after the
other, and prints per request: CPU of this process (the Python side), wall time (adds PostgreSQL's and Redis's
work and the round trips), SQL statements and Celery tasks queued (sent to Redis, not run). With --profile,
prints the cProfile top functions of that scenario by cumulative time.

This explains bench/load.py's figures: the load test's rate on two cores is bounded by these costs.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import benchdb

DB_NAME = "ec_bench_costs"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="requests per scenario")
    parser.add_argument("--profile", choices=["handoff", "scan", "portal"], help="cProfile this scenario")
    parser.add_argument("--top", type=int, default=25, help="functions shown with --profile")
    parser.add_argument("--sql", action="store_true", help="print the SQL statements of one request per scenario")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12")
    return parser.parse_args()


class Counting:
    """Counts SQL statements and Celery messages sent while active."""

    def __init__(self, show: bool = False):
        self.show = show
        self.statements = 0
        self.tasks = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        if self.show:
            print(f"    {self.statements:3} {' '.join(sql.split())[:160]}")
        return execute(sql, params, many, context)

    def task_sent(self, sender=None, **kwargs):
        self.tasks[sender] += 1


def show_sql(name: str, send) -> None:
    from django.db import connection

    print(f"{name}: the statements of one request")
    with connection.execute_wrapper(Counting(show=True)):
        send(0)


def measure(name: str, send, count: int, profile: bool, top: int) -> None:
    from celery.signals import before_task_publish
    from django.db import connection

    counting = Counting()
    before_task_publish.connect(counting.task_sent, weak=False)
    profiler = cProfile.Profile() if profile else None
    cpu, wall = [], []
    try:
        with connection.execute_wrapper(counting):
            for n in range(count):
                started_cpu, started = time.process_time(), time.perf_counter()
                if profiler:
                    profiler.enable()
                status = send(n)
                if profiler:
                    profiler.disable()
                cpu.append(time.process_time() - started_cpu)
                wall.append(time.perf_counter() - started)
                if status >= 400:
                    sys.exit(f"{name} request {n} answered {status}")
    finally:
        before_task_publish.disconnect(counting.task_sent)
    tasks = ", ".join(f"{task.rsplit('.', 1)[-1]} {n / count:g}" for task, n in counting.tasks.most_common()) or "none"
    print(f"{name:8}  cpu median {statistics.median(cpu) * 1000:6.1f} ms  mean {statistics.mean(cpu) * 1000:6.1f} ms"
          f"  wall median {statistics.median(wall) * 1000:6.1f} ms  SQL {counting.statements / count:5.1f}"
          f"  tasks/request: {tasks}")
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(top)


def main() -> None:
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    url = benchdb.bench_url(DB_NAME, "request costs")
    benchdb.recreate_database(url)
    from load import CRM_SECRET, handoff_bodies, seed, stack_env

    # The same settings gunicorn gets in bench/load.py (DEBUG=0 and the rest), read when Django starts.
    os.environ.update(stack_env(url, args.redis, f"bench-costs-{uuid.uuid4().hex[:8]}"))
    os.environ.setdefault("EVENTCHAIN_TESTING", "0")
    benchdb.setup_django(url)
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest production pages need
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    seeded = seed(20, args.count * 2 + 100)
    bodies = handoff_bodies(args.count + 20)
    print(f"request costs: database {DB_NAME}, {args.count} requests per scenario, DEBUG={settings.DEBUG}, "
          f"CRM secret set: {settings.EVENTCHAIN_CRM_WEBHOOK_SECRET == CRM_SECRET}")

    client = Client()
    gate_auth = {"HTTP_AUTHORIZATION": f"Bearer {seeded['gate_token']}"}
    codes = seeded["gate_codes"]
    page = f"/portal/bookings/{seeded['booking']}/"

    def handoff(n: int) -> int:
        raw, headers = bodies[n]
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
        return client.post("/api/v1/crm/handoff", raw, content_type="application/json", **extra).status_code

    def scan(n: int) -> int:
        body = {"code": codes[n], "gate": "Gate A", "device_id": "costs-bench", "nonce": f"costs-{n}",
                "scanned_at": datetime.now(UTC).isoformat()}
        return client.post("/api/v1/gate/scans", body, content_type="application/json", **gate_auth).status_code

    portal = Client()
    portal.cookies[settings.SESSION_COOKIE_NAME] = seeded["cookies"][0]

    def portal_page(n: int) -> int:
        return portal.get(page).status_code

    # Warm up each path (imports, template compilation, caches) outside the figures.
    handoff(args.count + 19)
    scan(args.count * 2 + 99)
    portal_page(0)
    for name, send in (("handoff", handoff), ("scan", scan), ("portal", portal_page)):
        if args.sql:
            show_sql(name, send)
            continue
        measure(name, send, args.count, args.profile == name, args.top)


if __name__ == "__main__":
    main()
