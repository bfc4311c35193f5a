"""The real stack for fault tests: this test's PostgreSQL database, Redis, and Celery worker processes
(solo pool with embedded beat) started, killed and restarted by the test.

Each run takes its own Redis database and queue name so workers of other runs (or other engineers'
suites on the same machine) never take these tasks. Tests using `stack` must be
`django_db(transaction=True)`: the worker is another process and sees only committed rows.
"""

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from eventchain.celery import app as celery_app
from tests.tickets import conftest as ticket_fixtures

# Lane 05's fixtures: media in a temporary folder (autouse) and released bookings built from rows.
_media = ticket_fixtures._media
make_released = ticket_fixtures.make_released

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST = os.environ.get("EVENTCHAIN_TEST_REDIS", "redis://127.0.0.1:6379")

# Fast retries so an outage of a few seconds plays out in a few seconds.
FAST_ENV = {
    "EVENTCHAIN_OUTBOX_BASE_DELAY": "0.5",
    "EVENTCHAIN_OUTBOX_MAX_DELAY": "2",
    "EVENTCHAIN_OUTBOX_MAX_ATTEMPTS": "30",
    "EVENTCHAIN_OUTBOX_DISPATCH_SECONDS": "0.5",
    "EVENTCHAIN_JOB_STALL_SECONDS": "6",
}


def database_url() -> str:
    """The database pytest-django made for this run (test_<name>), which the worker must use too."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(predicate, seconds: float, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"Timed out after {seconds:g} s waiting for {what}")


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no warm shutdown, no ack, no cleanup."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Stack:
    """start_worker(), settings shared by the test process and its workers, and the worker logs."""

    def __init__(self, tmp_path: Path, settings):
        self.redis_url = f"{REDIS_HOST}/{random.randint(1, 13)}"
        self.queue = f"faults-{uuid.uuid4().hex[:10]}"
        self.tmp_path = tmp_path
        self.settings = settings
        self.env = {**FAST_ENV, "MEDIA_ROOT": str(settings.MEDIA_ROOT), "TICKETS_RENDER_WORKERS": "1"}
        self.workers: list[Worker] = []

    def configure(self, **values) -> None:
        """Set a setting here and in every worker started afterwards (values are strings, as in the env)."""
        for name, value in values.items():
            self.env[name] = str(value)

    def start_worker(self) -> Worker:
        env = {
            **os.environ, **self.env, "REDIS_URL": self.redis_url, "DATABASE_URL": database_url(),
            "EVENTCHAIN_TESTING": "1", "EVENTCHAIN_CELERY_QUEUE": self.queue, "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "eventchain.settings",
        }
        number = len(self.workers) + 1
        log_path = self.tmp_path / f"worker-{number}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "eventchain", "worker", "--pool", "solo", "--beat",
            "--schedule", str(self.tmp_path / f"beat-{number}"), "--loglevel", "WARNING", "--queues", self.queue,
            "--hostname", f"{self.queue}-{number}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
        with log_path.open("w") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        worker = Worker(process, log_path)
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- worker {n} ---\n{w.log()[-4000:]}" for n, w in enumerate(self.workers, 1))

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        import redis

        client = redis.Redis.from_url(self.redis_url)
        for key in client.keys(f"*{self.queue}*"):
            client.delete(key)


@pytest.fixture
def stack(transactional_db, postgres_only, settings, tmp_path):
    """The test process sends tasks to this run's queue on Redis; workers are started by the test."""
    import redis

    made = Stack(tmp_path, settings)
    try:
        redis.Redis.from_url(made.redis_url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Fault tests need Redis at {REDIS_HOST} (make test starts it).")
    for name, value in FAST_ENV.items():
        setattr(settings, name, float(value) if "." in value or name.endswith("SECONDS") else int(value))
    settings.TICKETS_RENDER_WORKERS = 1
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    celery_app.conf.update(broker_url=made.redis_url, task_always_eager=False, task_default_queue=made.queue)
    _reset_producer()
    try:
        yield made
    finally:
        made.close()
        celery_app.conf.update(previous)
        _reset_producer()


def _reset_producer():
    """Drop broker connections and the cached routing, so the next send uses the conf just set."""
    celery_app._after_fork()
    celery_app.__dict__.pop("amqp", None)


@pytest.fixture
def staff_page(staff_client):
    """staff_page(role, url) → the console page's HTML as that staff member sees it."""

    def get(role: str, url: str) -> str:
        response = staff_client(role).get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        return response.content.decode()

    return get
