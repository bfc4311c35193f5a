"""With a worker, a change marks its booking in the same transaction and one queued flush refreshes every mark."""

import threading
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from eventchain.lifecycle import BookingStatus
from reporting import profile, tasks
from reporting.models import BookingSnapshot, SnapshotDirty

from .test_reports import invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    with mock.patch.object(tasks.refresh_dirty_snapshots, "apply_async") as queued:
        yield queued
    cache.clear()


def _commit_change(booking_id, django_capture_on_commit_callbacks, times=1):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(times):  # several receivers of one transaction touch the same booking
            profile.schedule_refresh(booking_id)


def _marked():
    return sorted(SnapshotDirty.objects.values_list("booking_id", flat=True))


def test_a_burst_of_commits_queues_one_delayed_flush_and_leaves_the_marks(
    with_worker, make_booking, django_capture_on_commit_callbacks,
):
    bookings = [make_booking("BOX-8") for _ in range(5)]
    for booking in bookings:  # e.g. five CRM handoffs in a second
        _commit_change(booking.pk, django_capture_on_commit_callbacks, times=3)

    assert with_worker.call_count == 1
    assert with_worker.call_args.kwargs == {"countdown": profile.REFRESH_DELAY}
    assert _marked() == sorted(b.pk for b in bookings)  # one mark per booking per transaction
    assert not BookingSnapshot.objects.exists()  # nothing computed in the request


def test_the_flush_refreshes_every_mark_in_queries_that_do_not_grow_with_the_bookings(with_worker, make_booking):
    def flush_queries(count):
        bookings = [make_booking("BOX-8", units=2) for _ in range(count)]
        for booking in bookings:
            invoice(booking, f"INV-{booking.pk}", "100.00")  # a change: its receiver marks the booking
        with CaptureQueriesContext(connection) as queries:
            assert tasks.refresh_dirty_snapshots() == count
        assert _marked() == []
        assert sorted(BookingSnapshot.objects.filter(units=2, invoice_numbers__startswith="INV-")
                      .values_list("booking_id", flat=True)) == sorted(b.pk for b in bookings)
        BookingSnapshot.objects.all().delete()
        return len(queries)

    three, thirty = flush_queries(3), flush_queries(30)
    assert three == thirty <= 14, (three, thirty)  # take the marks, 10 reads, 1 upsert, savepoint and release


def test_the_flush_takes_marks_in_passes_until_none_are_left(with_worker, make_booking,
                                                            django_capture_on_commit_callbacks):
    bookings = [make_booking("BOX-8") for _ in range(5)]
    for booking in bookings:
        _commit_change(booking.pk, django_capture_on_commit_callbacks)
    _commit_change(bookings[0].pk, django_capture_on_commit_callbacks)  # a second mark, a later transaction

    assert profile.refresh_dirty(batch=2) == 6  # passes of 2, 2, 2 (the repeat refreshed again) and an empty one
    assert _marked() == [] and BookingSnapshot.objects.count() == 5


def test_a_mark_for_a_deleted_booking_is_dropped(with_worker, django_capture_on_commit_callbacks):
    _commit_change(999_999, django_capture_on_commit_callbacks)
    assert tasks.refresh_dirty_snapshots() == 0
    assert _marked() == []


def test_a_change_committed_after_the_flush_started_queues_another(
    with_worker, make_booking, django_capture_on_commit_callbacks,
):
    first, second = make_booking("BOX-8"), make_booking("BOX-8")
    _commit_change(first.pk, django_capture_on_commit_callbacks)
    _commit_change(first.pk, django_capture_on_commit_callbacks)
    assert with_worker.call_count == 1  # the second commit found the flush already queued

    real_refresh = profile.refresh_snapshots

    def refresh_while_a_request_commits(booking_ids):
        _commit_change(second.pk, django_capture_on_commit_callbacks)  # during the worker's pass
        return real_refresh(booking_ids)

    with mock.patch.object(profile, "refresh_snapshots", side_effect=refresh_while_a_request_commits):
        tasks.refresh_dirty_snapshots()

    assert with_worker.call_count == 2  # the flag went first, so the change queued its own flush
    assert _marked() == [second.pk]  # and its mark waits for that flush
    assert BookingSnapshot.objects.filter(booking=first).exists()
    assert not BookingSnapshot.objects.filter(booking=second).exists()


def test_with_the_broker_down_the_mark_waits_for_beats_flush(
    with_worker, make_booking, django_capture_on_commit_callbacks, caplog,
):
    booking = make_booking("BOX-8")
    with_worker.side_effect = ConnectionError("redis down")
    _commit_change(booking.pk, django_capture_on_commit_callbacks)  # the request still commits

    assert "Broker unavailable" in caplog.text
    assert cache.get(profile.FLUSH_QUEUED_KEY) is None  # the next commit tries to queue again
    assert _marked() == [booking.pk] and not BookingSnapshot.objects.filter(booking=booking).exists()

    beat = django_settings.CELERY_BEAT_SCHEDULE["reporting-refresh-dirty-snapshots"]
    assert beat["task"] == tasks.refresh_dirty_snapshots.name and beat["schedule"] <= 60
    tasks.refresh_dirty_snapshots()  # what beat runs every minute
    assert _marked() == [] and BookingSnapshot.objects.get(booking=booking).units == 1


def test_without_a_worker_the_commit_refreshes_inline_and_marks_nothing(
    make_booking, django_capture_on_commit_callbacks,
):
    assert django_settings.CELERY_TASK_ALWAYS_EAGER  # tests run without REDIS_URL
    booking = make_booking("BOX-8", status=BookingStatus.ALLOCATED)
    with django_capture_on_commit_callbacks(execute=True):
        invoice(booking, "INV-3", "100.00")
    assert BookingSnapshot.objects.get(booking=booking).invoice_numbers == "INV-3"
    assert _marked() == []


@pytest.mark.django_db(transaction=True)
def test_a_transaction_still_open_when_the_flush_runs_keeps_its_own_mark(postgres_only, settings, make_booking):
    """The flush takes an older mark and reads the booking before this transaction commits: the transaction's
    own mark (one per transaction, not per booking, so nothing makes it skip or wait) brings the change in."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    booking = make_booking("BOX-8")
    marked, flushed, failures = threading.Event(), threading.Event(), []

    def request():
        try:
            with transaction.atomic():
                invoice(booking, "INV-LATE", "100.00")  # its receiver marks the booking
                marked.set()
                assert flushed.wait(10)
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)
            marked.set()
        finally:
            connection.close()

    with mock.patch.object(tasks.refresh_dirty_snapshots, "apply_async"):
        profile.schedule_refresh(booking.pk)  # an earlier change, committed (autocommit)
        thread = threading.Thread(target=request)
        thread.start()
        assert marked.wait(10)
        assert tasks.refresh_dirty_snapshots() == 1  # takes the earlier mark; the open one is not visible
        flushed.set()
        thread.join(10)
        assert failures == []
        assert BookingSnapshot.objects.get(booking=booking).invoice_numbers == ""
        assert _marked() == [booking.pk]
        tasks.refresh_dirty_snapshots()
    assert BookingSnapshot.objects.get(booking=booking).invoice_numbers == "INV-LATE"
    cache.clear()
