"""With a worker, booking snapshots are refreshed by a queued task at most once per burst of changes."""

from unittest import mock

import pytest
from django.core.cache import cache

from reporting import profile, tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    with mock.patch.object(tasks.refresh_booking_snapshot, "apply_async") as queued:
        yield queued


def _commit_change(booking_id, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        profile.schedule_refresh(booking_id)


def test_a_burst_of_commits_queues_one_delayed_refresh(with_worker, django_capture_on_commit_callbacks):
    for _ in range(5):  # e.g. five scans of one booking's tickets in a second
        _commit_change(41, django_capture_on_commit_callbacks)
    _commit_change(42, django_capture_on_commit_callbacks)

    assert [c.args[0] for c in with_worker.call_args_list] == [(41,), (42,)]
    assert all(c.kwargs["countdown"] == profile.REFRESH_DELAY for c in with_worker.call_args_list)


def test_a_change_after_the_refresh_started_queues_another(with_worker, django_capture_on_commit_callbacks):
    _commit_change(41, django_capture_on_commit_callbacks)
    with mock.patch.object(profile, "refresh_snapshot") as refreshed:
        tasks.refresh_booking_snapshot(41)  # the worker runs it
    refreshed.assert_called_once_with(41)
    _commit_change(41, django_capture_on_commit_callbacks)

    assert with_worker.call_count == 2


def test_without_a_broker_the_request_refreshes_itself(with_worker, django_capture_on_commit_callbacks):
    with_worker.side_effect = ConnectionError("redis down")
    with mock.patch.object(profile, "refresh_snapshot") as refreshed:
        _commit_change(41, django_capture_on_commit_callbacks)
    refreshed.assert_called_once_with(41)
    assert cache.get(profile.pending_key(41)) is None
