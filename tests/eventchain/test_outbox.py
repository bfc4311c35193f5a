import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from eventchain import outbox
from eventchain.errors import StateConflict
from eventchain.models import AuditEntry, OutboxAttempt, OutboxMessage

pytestmark = pytest.mark.django_db

calls: Counter = Counter()
behaviour: dict[str, list] = {}


@outbox.handler("test.recorder")
def _recorder(message):
    """Pops the next scripted outcome for this message's key: None succeeds, an exception is raised."""
    calls[message.idempotency_key] += 1
    script = behaviour.get(message.idempotency_key, [])
    outcome = script.pop(0) if script else None
    if outcome is not None:
        raise outcome


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    behaviour.clear()


def make_due(message):
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_message_is_delivered_once_its_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            message = outbox.enqueue("test.recorder", {"n": 1}, idempotency_key="k-commit")
            assert calls["k-commit"] == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DONE and message.attempts == 1
    assert calls["k-commit"] == 1
    assert OutboxAttempt.objects.get(message=message).succeeded


def test_nothing_is_queued_when_the_change_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox.enqueue("test.recorder", {}, idempotency_key="k-rollback")
            raise RuntimeError("the business change failed")
    assert not OutboxMessage.objects.filter(idempotency_key="k-rollback").exists()
    assert calls["k-rollback"] == 0


def test_the_same_idempotency_key_queues_one_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.enqueue("test.recorder", {"n": 1}, idempotency_key="k-same")
        second = outbox.enqueue("test.recorder", {"n": 1}, idempotency_key="k-same")
    assert first.pk == second.pk
    assert calls["k-same"] == 1


def test_a_transient_failure_is_retried_with_exponential_backoff(settings):
    settings.EVENTCHAIN_OUTBOX_BASE_DELAY = 10
    behaviour["k-retry"] = [ConnectionError("mail server down"), ConnectionError("still down"), None]
    message = OutboxMessage.objects.create(kind="test.recorder", idempotency_key="k-retry")

    assert outbox.dispatch_due() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED and message.attempts == 1
    assert "mail server down" in message.last_error
    first_delay = (message.next_attempt_at - message.updated_at).total_seconds()
    assert 5 <= first_delay <= 10.5  # base 10 s, jittered over its upper half

    assert outbox.dispatch_due() == 0, "not due yet: the backoff is respected"
    make_due(message)
    outbox.dispatch_due()
    message.refresh_from_db()
    second_delay = (message.next_attempt_at - message.updated_at).total_seconds()
    assert 10 <= second_delay <= 20.5, "the delay doubles"

    make_due(message)
    outbox.dispatch_due()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DONE and message.attempts == 3
    assert list(message.attempt_log.values_list("succeeded", flat=True)) == [False, False, True]


def test_a_handler_supplied_retry_after_is_honoured():
    behaviour["k-429"] = [outbox.RetryLater("429 Too Many Requests", retry_after=120)]
    message = OutboxMessage.objects.create(kind="test.recorder", idempotency_key="k-429")
    outbox.dispatch_due()
    message.refresh_from_db()
    delay = (message.next_attempt_at - message.updated_at).total_seconds()
    assert 119 <= delay <= 121
    assert message.last_error == "429 Too Many Requests"


def test_backoff_is_capped(settings):
    settings.EVENTCHAIN_OUTBOX_BASE_DELAY = 5
    settings.EVENTCHAIN_OUTBOX_MAX_DELAY = 60
    assert all(30 <= outbox.backoff_delay(20) <= 60 for _ in range(50))


def test_a_message_goes_dead_after_the_attempt_limit(settings):
    settings.EVENTCHAIN_OUTBOX_MAX_ATTEMPTS = 3
    behaviour["k-dead"] = [TimeoutError("no answer")] * 5
    message = OutboxMessage.objects.create(kind="test.recorder", idempotency_key="k-dead")
    for _ in range(3):
        make_due(message)
        outbox.dispatch_due()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DEAD and message.attempts == 3
    make_due(message)
    assert outbox.dispatch_due() == 0, "dead rows are never picked up again by themselves"
    assert AuditEntry.objects.filter(action="outbox.dead", object_id=str(message.pk)).exists()


def test_a_permanent_failure_goes_dead_at_once():
    behaviour["k-perm"] = [outbox.PermanentFailure("550 mailbox does not exist")]
    message = OutboxMessage.objects.create(kind="test.recorder", idempotency_key="k-perm")
    outbox.dispatch_due()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DEAD and message.attempts == 1


def test_an_unknown_kind_goes_dead_with_a_clear_error():
    message = OutboxMessage.objects.create(kind="nobody.handles.this", idempotency_key="k-unknown")
    outbox.dispatch_due()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DEAD
    assert "No handler is registered" in message.last_error


def test_requeue_gives_a_dead_message_fresh_attempts(make_staff, django_capture_on_commit_callbacks):
    message = OutboxMessage.objects.create(
        kind="test.recorder", idempotency_key="k-requeue", status=OutboxMessage.Status.DEAD, attempts=8,
        last_error="boom",
    )
    staff = make_staff("admin")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.requeue(actor=staff, message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DONE and message.attempts == 1
    assert AuditEntry.objects.get(action="outbox.requeued").actor == staff


def test_requeue_refuses_a_delivered_message(make_staff):
    message = OutboxMessage.objects.create(kind="test.recorder", idempotency_key="k-done",
                                           status=OutboxMessage.Status.DONE)
    with pytest.raises(StateConflict, match="Only failed or dead"):
        outbox.requeue(actor=make_staff("admin"), message_id=message.pk)


def test_a_claim_left_by_a_dead_worker_is_taken_again():
    message = OutboxMessage.objects.create(
        kind="test.recorder", idempotency_key="k-stale", status=OutboxMessage.Status.IN_FLIGHT,
        claimed_at=timezone.now() - outbox.CLAIM_TIMEOUT - timedelta(minutes=1),
    )
    fresh = OutboxMessage.objects.create(
        kind="test.recorder", idempotency_key="k-fresh-claim", status=OutboxMessage.Status.IN_FLIGHT,
        claimed_at=timezone.now(),
    )
    assert outbox.claim_due() == [message.pk]
    assert fresh.pk not in outbox.claim_due()


def test_console_lists_dead_rows_and_requeues_them_with_htmx(staff_client, django_capture_on_commit_callbacks):
    dead = OutboxMessage.objects.create(kind="test.recorder", idempotency_key="k-console",
                                        status=OutboxMessage.Status.DEAD, attempts=8, last_error="SMTP 421")
    OutboxMessage.objects.create(kind="test.recorder", idempotency_key="k-ok", status=OutboxMessage.Status.DONE)
    client = staff_client("admin")
    page = client.get("/console/outbox/")
    body = page.content.decode()
    assert "SMTP 421" in body and "k-ok" not in body and "Re-queue" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/outbox/{dead.pk}/requeue/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment and f'id="outbox-{dead.pk}"' in fragment and "re-queued" in fragment


def test_outbox_console_needs_the_manage_outbox_capability(staff_client):
    assert staff_client("finance").get("/console/outbox/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_process_the_same_row(postgres_only):
    assert connection.vendor == "postgresql"
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind="test.recorder", idempotency_key=f"k-race-{n}") for n in range(300)]
    )
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def worker(name):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            while True:
                ids = outbox.claim_due(limit=7)
                if not ids:
                    break
                claimed[name].extend(ids)
                for message_id in ids:
                    outbox.process(message_id)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not set(claimed["a"]) & set(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == 300
    assert claimed["a"] and claimed["b"], "both workers took part"
    assert max(calls[f"k-race-{n}"] for n in range(300)) == 1
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.DONE).count() == 300
