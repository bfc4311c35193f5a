"""Velocity rules in the kernel: threshold, window, hold, release, confirm, settings, concurrency, review queue."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from eventchain import velocity
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.models import AuditEntry, Flag, VelocityEvent

pytestmark = pytest.mark.django_db

SUBJECT = velocity.Subject("ticket", "4242", "Ticket T-4242", "/console/tickets/bookings/1/")


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.EVENTCHAIN_VELOCITY_RULES = {"ticket_reissues": {"threshold": 3, "window": 3600}}
    settings.EVENTCHAIN_SUPPORT_EMAIL = "help@tickets.example"


def test_rule_trips_exactly_at_its_threshold_and_holds_the_subject():
    assert velocity.observe("ticket_reissues", subject=SUBJECT, actor="contact:pat@acme.example") is None
    assert velocity.observe("ticket_reissues", subject=SUBJECT) is None
    velocity.ensure_not_held(SUBJECT, action="reissuing it")  # two of three: not held yet
    assert not Flag.objects.exists()

    flag = velocity.observe("ticket_reissues", subject=SUBJECT)

    assert flag is not None and flag.status == Flag.Status.OPEN
    assert (flag.rule, flag.subject_type, flag.subject_id, flag.count, flag.threshold, flag.window_seconds) == (
        "ticket_reissues", "ticket", "4242", 3, 3, 3600)
    assert flag.subject_label == "Ticket T-4242" and flag.subject_url == SUBJECT.url
    with pytest.raises(StateConflict) as refused:
        velocity.ensure_not_held(SUBJECT, action="reissuing it")
    assert "Ticket T-4242 is held for review" in refused.value.message
    assert "3 reissues in 1 hour" in refused.value.message
    assert "help@tickets.example" in refused.value.message
    entry = AuditEntry.objects.get(action="velocity.flagged")
    assert entry.object_id == str(flag.pk) and entry.data["count"] == 3
    assert velocity.held_ids("ticket", ["4242", "1"]) == {"4242"}


def test_a_held_subject_does_not_open_a_second_flag():
    for _ in range(5):
        velocity.observe("ticket_reissues", subject=SUBJECT)
    assert Flag.objects.count() == 1
    assert VelocityEvent.objects.count() == 5


def test_events_outside_the_window_do_not_count():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        velocity.observe("ticket_reissues", subject=SUBJECT)
        velocity.observe("ticket_reissues", subject=SUBJECT)
    with time_machine.travel(start + timedelta(seconds=3601), tick=False):
        assert velocity.observe("ticket_reissues", subject=SUBJECT) is None
        assert velocity.observe("ticket_reissues", subject=SUBJECT) is None
        assert velocity.observe("ticket_reissues", subject=SUBJECT) is not None  # three within the hour


def test_release_lifts_the_hold_and_counting_starts_afresh(make_staff):
    reviewer = make_staff("admin")
    flag = [velocity.observe("ticket_reissues", subject=SUBJECT) for _ in range(3)][-1]

    with pytest.raises(ValidationFailed):
        velocity.release_flag(actor=reviewer, flag_id=flag.pk, note="  ")
    released = velocity.release_flag(actor=reviewer, flag_id=flag.pk, note="Guest lost two phones; called them.")

    assert released.status == Flag.Status.RELEASED and released.reviewed_by == reviewer
    velocity.ensure_not_held(SUBJECT, action="reissuing it")
    # The three before the release are not counted again: two more do not trip, a third does.
    assert velocity.observe("ticket_reissues", subject=SUBJECT) is None
    assert velocity.observe("ticket_reissues", subject=SUBJECT) is None
    assert velocity.observe("ticket_reissues", subject=SUBJECT) is not None
    assert AuditEntry.objects.filter(action="velocity.released", actor=reviewer).exists()


def test_confirm_keeps_the_hold(make_staff):
    reviewer = make_staff("admin")
    flag = [velocity.observe("ticket_reissues", subject=SUBJECT) for _ in range(3)][-1]

    velocity.confirm_flag(actor=reviewer, flag_id=flag.pk, note="Reseller pattern; revoking.")

    flag.refresh_from_db()
    assert flag.status == Flag.Status.CONFIRMED and flag.note == "Reseller pattern; revoking."
    with pytest.raises(StateConflict):
        velocity.ensure_not_held(SUBJECT, action="reissuing it")
    with pytest.raises(StateConflict):
        velocity.confirm_flag(actor=reviewer, flag_id=flag.pk, note="again")
    assert AuditEntry.objects.filter(action="velocity.confirmed").count() == 1


def test_thresholds_come_from_settings_and_zero_turns_a_rule_off(settings):
    settings.EVENTCHAIN_VELOCITY_RULES = {"ticket_reissues": {"threshold": 0, "window": 3600}}
    for _ in range(10):
        assert velocity.observe("ticket_reissues", subject=SUBJECT) is None
    assert not VelocityEvent.objects.exists()
    assert velocity.rule("buyer_transfers").threshold == 5  # defaults fill rules the setting leaves out


def test_environment_overrides_a_rule(monkeypatch):
    from eventchain.settings import _velocity_rule

    monkeypatch.setenv("EVENTCHAIN_VELOCITY_SESSION_DOWNLOADS", "80/300")
    assert _velocity_rule("session_downloads", 50, 600) == {"threshold": 80, "window": 300}
    monkeypatch.setenv("EVENTCHAIN_VELOCITY_SESSION_DOWNLOADS", "0")
    assert _velocity_rule("session_downloads", 50, 600)["threshold"] == 0
    monkeypatch.delenv("EVENTCHAIN_VELOCITY_SESSION_DOWNLOADS")
    assert _velocity_rule("session_downloads", 50, 600) == {"threshold": 50, "window": 600}


def test_database_refuses_a_second_open_flag_for_the_same_rule_and_subject():
    fields = {"rule": "ticket_reissues", "subject_type": "ticket", "subject_id": "7", "subject_label": "T",
              "count": 3, "threshold": 3, "window_seconds": 60, "first_at": timezone.now()}
    Flag.objects.create(**fields)
    Flag.objects.create(**{**fields, "status": Flag.Status.RELEASED})  # closed ones may repeat
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(**fields)


@pytest.mark.django_db(transaction=True)
def test_concurrent_observations_on_postgres_make_exactly_one_flag(postgres_only, settings):
    settings.EVENTCHAIN_VELOCITY_RULES = {"ticket_reissues": {"threshold": 3, "window": 3600}}
    workers = 8
    barrier = threading.Barrier(workers)
    flags, errors = [], []

    def observe():
        try:
            barrier.wait()
            flags.append(velocity.observe("ticket_reissues", subject=SUBJECT))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=observe) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert VelocityEvent.objects.count() == workers
    assert Flag.objects.filter(status=Flag.Status.OPEN).count() == 1
    assert len([flag for flag in flags if flag is not None]) == 1
    assert Flag.objects.get().count == 3  # the third observation in line tripped it, not a later one


# Review queue ------------------------------------------------------------------------------------

def _tripped() -> Flag:
    return [velocity.observe("ticket_reissues", subject=SUBJECT) for _ in range(3)][-1]


def test_review_queue_lists_open_flags_for_admins_only(staff_client):
    flag = _tripped()
    page = staff_client("admin").get("/console/admin/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ticket T-4242" in html and f'id="flag-{flag.pk}"' in html and "Many reissues of one ticket" in html
    assert staff_client("ticketing").get("/console/admin/review/").status_code == 403
    filtered = staff_client("admin").get("/console/admin/review/?rule=device_failed_scans")
    assert "Ticket T-4242" not in filtered.content.decode() and "Nothing to review" in filtered.content.decode()


def test_release_from_the_queue_updates_the_row_and_needs_a_note(staff_client):
    flag = _tripped()
    admin = staff_client("admin")
    url = f"/console/admin/review/{flag.pk}/"

    missing = admin.post(url, {"decision": "release", "note": ""}, HTTP_HX_REQUEST="true")
    assert "Write a note" in missing.content.decode()
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN

    row = admin.post(url, {"decision": "release", "note": "Checked with the buyer."}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    html = row.content.decode()
    assert html.strip().startswith(f'<tr id="flag-{flag.pk}"') and "Released" in html
    flag.refresh_from_db()
    assert flag.status == Flag.Status.RELEASED and flag.note == "Checked with the buyer."
    velocity.ensure_not_held(SUBJECT, action="reissuing it")


def test_dashboard_shows_the_open_flag_count_to_reviewers(staff_client):
    _tripped()
    html = staff_client("admin").get("/console/").content.decode()
    assert "Held for review by the fraud rules" in html
    assert "Held for review by the fraud rules" not in staff_client("sales").get("/console/").content.decode()
