"""The outbox through a real Redis broker and a real Celery worker process, the way production runs."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from eventchain import outbox
from eventchain.celery import app as celery_app
from eventchain.models import OutboxMessage

REDIS_URL = os.environ.get("EVENTCHAIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


@outbox.handler("test.broker")
def _deliver(message):
    """Runs inside the worker process, which imports this module with --include."""


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _drop_broker_connections():
    """Connections made earlier for the in-memory broker must not carry this test's messages."""
    celery_app._after_fork()


@pytest.fixture
def redis_worker(postgres_only):
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"This test needs Redis at {REDIS_URL} (make test starts it).")
    client.flushdb()
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DATABASE_URL": _database_url(), "EVENTCHAIN_TESTING": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "eventchain", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--include", "tests.eventchain.test_celery_broker", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    _drop_broker_connections()
    try:
        yield worker
    finally:
        celery_app.conf.update(previous)
        _drop_broker_connections()
        worker.terminate()
        worker.wait(timeout=20)


def wait_for(message, status, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == status:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_outbox_message_is_delivered_by_a_worker_through_redis(redis_worker):
    with transaction.atomic():
        message = outbox.enqueue("test.broker", {"to": "pat@acme.example"}, idempotency_key="broker-1")
    delivered = wait_for(message, OutboxMessage.Status.DONE)
    if not delivered:
        redis_worker.terminate()
        pytest.fail("The worker did not deliver the message:\n" + redis_worker.communicate(timeout=20)[0])
    assert message.attempt_log.count() == 1
