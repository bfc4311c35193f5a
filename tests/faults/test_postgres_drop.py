"""PostgreSQL drops the server's connection, between requests and in the middle of a CRM handoff, against
gunicorn (persistent connections with health checks, as in production): the broken request fails cleanly, the next one reconnects, and the CRM's retry of the
handoff (stored before processed) creates the booking exactly once."""

import copy
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from buyers.models import Booking, CrmHandoff
from eventchain import locks
from tests.contract.test_flow_through_the_api import HANDOFF

from .conftest import ROOT, database_url, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db, postgres_only, tmp_path):
    """gunicorn on a free loopback port against this test's database; its base URL."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    env = {**os.environ, "DATABASE_URL": database_url(), "EVENTCHAIN_TESTING": "1", "DEBUG": "1",
           "DB_CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING", "REDIS_URL": ""}
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "eventchain.wsgi", "-w", "1", "--threads", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(f"{base}/login/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, 60, what="gunicorn to answer")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def handoff(deal_id: str) -> bytes:
    body = copy.deepcopy(HANDOFF)
    body["deal_id"] = deal_id
    return json.dumps(body).encode()


def post_handoff(base_url: str, raw: bytes) -> httpx.Response:
    stamp = str(int(time.time()))
    signature = hmac.new(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET.encode(), stamp.encode() + b"." + raw,
                         hashlib.sha256).hexdigest()
    return httpx.post(f"{base_url}/api/v1/crm/handoff", content=raw, timeout=30, headers={
        "Content-Type": "application/json", "X-EventChain-Timestamp": stamp,
        "X-EventChain-Signature": f"sha256={signature}"})


def other_backends(where: str = "") -> list[int]:
    """Backends on this test database other than the test's own (the live server's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       f"AND pid <> pg_backend_pid() {where}")
        return [row[0] for row in cursor.fetchall()]


def terminate(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_dropped_connection_fails_one_request_cleanly_and_the_retry_lands_once(
        catalogue, server, staff_page):
    base = server
    assert post_handoff(base, handoff("DEAL-PG-1")).status_code == 201

    # Between requests: the server's idle persistent connection is killed; the health check reconnects.
    idle = other_backends()
    assert idle, "the live server keeps a persistent connection (CONN_MAX_AGE)"
    terminate(idle)
    assert post_handoff(base, handoff("DEAL-PG-2")).status_code == 201

    # Mid-request: hold the deal's lock so the handoff waits inside its transaction, then kill that backend.
    raw = handoff("DEAL-PG-3")
    answers: list[httpx.Response] = []
    # Held on a separate connection: pg_stat_activity is a snapshot per transaction, so the test's own
    # connection must stay out of a transaction to watch the server wait.
    with psycopg.connect(database_url()) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [locks.lock_key("crm-deal", "DEAL-PG-3")])
        sender = threading.Thread(target=lambda: answers.append(post_handoff(base, raw)))
        sender.start()
        waiting = wait_until(lambda: other_backends("AND wait_event_type = 'Lock'"), 20, every=0.05,
                             what="the handoff to wait on the deal lock")
        terminate(waiting)
        holder.rollback()
    sender.join(30)
    assert answers and answers[0].status_code >= 500
    # Nothing partial: the delivery is stored (stored before processed), no booking was made.
    stored = CrmHandoff.objects.filter(deal_id="DEAL-PG-3")
    assert stored.count() == 1 and stored.get().outcome in {CrmHandoff.Outcome.RECEIVED, CrmHandoff.Outcome.FAILED}
    assert not Booking.objects.filter(crm_deal_id="DEAL-PG-3").exists()

    # The CRM retries the same body: processed exactly once, and a second retry is a duplicate.
    retried = post_handoff(base, raw)
    assert retried.status_code == 201, retried.text
    again = post_handoff(base, raw)
    assert again.status_code == 200, again.text
    assert Booking.objects.filter(crm_deal_id="DEAL-PG-3").count() == 1
    assert Booking.objects.filter(crm_deal_id__startswith="DEAL-PG-").count() == 3
    outcomes = list(CrmHandoff.objects.filter(deal_id="DEAL-PG-3").order_by("id").values_list("outcome", flat=True))
    assert outcomes[1:] == [CrmHandoff.Outcome.CREATED, CrmHandoff.Outcome.DUPLICATE]
    # Visible to staff: the handoff log lists the broken delivery next to the retry that created the booking.
    page = staff_page("admin", reverse("buyers:handoffs") + "?q=DEAL-PG-3")
    assert page.count("DEAL-PG-3") >= 3
