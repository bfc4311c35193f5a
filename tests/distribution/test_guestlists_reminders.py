"""Name reminders at 14, 7 and 3 days before the deadline, each once (time travel); the follow-up queue."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from distribution import tasks
from distribution.guestlists import reminders, services
from distribution.models import DeliveryMessage, MessageKind, ReminderSent

from .conftest import PRIMARY
from .helpers import link_named, local_path, parts

pytestmark = pytest.mark.django_db


def _policy(booking, staff, due):
    services.set_event_policy(event=booking.event, names_due_at=due, cutoff_at=due + timedelta(days=2), actor=staff)


def _run(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tasks.send_name_reminders()


def test_each_reminder_goes_out_once_at_14_7_and_3_days(
        booking_for, make_staff, smtp, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=3)
    due = booking.event.starts_at - timedelta(days=10)
    _policy(booking, make_staff("sales"), due)
    capture = django_capture_on_commit_callbacks

    assert _run(due - timedelta(days=15), capture) == 0
    assert _run(due - timedelta(days=14), capture) == 1
    assert _run(due - timedelta(days=13), capture) == 0  # same stage again: nothing
    assert _run(due - timedelta(days=7), capture) == 1
    assert _run(due - timedelta(days=7, hours=-2), capture) == 0
    assert _run(due - timedelta(days=3), capture) == 1
    assert _run(due - timedelta(days=1), capture) == 0
    assert _run(due + timedelta(hours=1), capture) == 0  # past the deadline: the follow-up queue takes over
    assert sorted(ReminderSent.objects.filter(booking=booking).values_list("days_before", flat=True)) == [3, 7, 14]

    mails = smtp.messages_to(PRIMARY)
    assert len(mails) == 3
    text, html, _ = parts(mails[0])
    assert mails[0]["Subject"].startswith("5 of 8 names missing")
    assert f"Guest 4 of 8 — {booking.buyer.name}" in text and "Guest 1 " not in text
    assert local_path(link_named(html, "Name your guests")) == f"/portal/bookings/{booking.pk}/"


def test_a_late_first_run_sends_only_the_latest_stage(booking_for, make_staff, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8")
    due = booking.event.starts_at - timedelta(days=10)
    _policy(booking, make_staff("sales"), due)
    assert _run(due - timedelta(days=5), django_capture_on_commit_callbacks) == 1
    assert DeliveryMessage.objects.filter(kind=MessageKind.NAME_REMINDER).count() == 1
    skipped = ReminderSent.objects.get(booking=booking, days_before=14)
    assert skipped.sent is False
    assert _run(due - timedelta(days=3), django_capture_on_commit_callbacks) == 1
    assert _run(due - timedelta(days=2), django_capture_on_commit_callbacks) == 0


def test_complete_lists_and_booking_overrides(booking_for, make_staff, django_capture_on_commit_callbacks):
    staff = make_staff("sales")
    complete = booking_for("BOX-8", guests=8)
    due = complete.event.starts_at - timedelta(days=10)
    _policy(complete, staff, due)
    own = booking_for("BOX-8")
    services.set_booking_override(booking_id=own.pk, names_due_at=due + timedelta(days=5), actor=staff)
    assert _run(due - timedelta(days=14), django_capture_on_commit_callbacks) == 0  # own is 19 days out
    assert not DeliveryMessage.objects.filter(booking=complete).exists()  # nothing missing there
    assert _run(due - timedelta(days=9), django_capture_on_commit_callbacks) == 1
    assert DeliveryMessage.objects.get(kind=MessageKind.NAME_REMINDER).booking == own


def test_follow_up_queue_lists_bookings_past_the_deadline_with_names_missing(booking_for, make_staff, staff_client):
    staff = make_staff("sales")
    late = booking_for("BOX-8", guests=2)
    done = booking_for("BOX-8", guests=8)
    due = late.event.starts_at - timedelta(days=10)
    _policy(late, staff, due)
    with time_machine.travel(due - timedelta(days=1), tick=False):
        assert reminders.follow_up_queue() == []
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        rows = reminders.follow_up_queue()
        assert [row["booking"] for row in rows] == [late]
        assert str(rows[0]["count"]) == "6 of 8 names missing"
        page = staff_client("sales").get("/console/distribution/guest-names/")
    assert page.status_code == 200
    body = page.content.decode()
    assert late.reference in body and "6 of 8 names missing" in body and done.reference not in body
    assert timezone.now()  # clock restored


def test_staff_set_the_event_deadline_and_a_booking_override_in_venue_time(booking_for, staff_client):
    booking = booking_for("BOX-8")
    event = booking.event
    client = staff_client("sales")
    url = f"/console/distribution/events/{event.pk}/guest-names/"
    bad = client.post(url, {"names_due_at": "2026-12-10T17:00", "cutoff_at": "2026-12-01T17:00"})
    assert bad.status_code == 422 and not services.deadlines(booking).names_due_at
    assert client.post(url, {"names_due_at": "2026-12-10T17:00", "cutoff_at": "2026-12-12T09:00"}).status_code == 200
    limits = services.deadlines(booking)
    assert timezone.localtime(limits.names_due_at, event.tz).strftime("%Y-%m-%d %H:%M") == "2026-12-10 17:00"
    override = client.post(f"{url}?booking={booking.pk}", {"names_due_at": "", "cutoff_at": "2026-12-20T09:00"})
    assert override.status_code == 200
    limits = services.deadlines(booking)
    assert timezone.localtime(limits.cutoff_at, event.tz).strftime("%Y-%m-%d %H:%M") == "2026-12-20 09:00"
    assert timezone.localtime(limits.names_due_at, event.tz).strftime("%d") == "10"  # still the event's
    assert staff_client("reporting").get(url).status_code == 403


def test_follow_up_page_queries_stay_flat(booking_for, make_staff, staff_client, django_assert_max_num_queries):
    staff = make_staff("sales")
    first = booking_for("BOX-8", guests=1)
    due = first.event.starts_at - timedelta(days=10)
    _policy(first, staff, due)
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        client = staff_client("sales")  # signed in at the travelled time, so the session is fresh
        client.get("/console/distribution/guest-names/")  # warm the session
        with django_assert_max_num_queries(8):
            assert client.get("/console/distribution/guest-names/").status_code == 200
        for _ in range(4):
            booking_for("BOX-8", guests=2)
        with django_assert_max_num_queries(8):
            page = client.get("/console/distribution/guest-names/")
    assert page.content.decode().count("6 of 8 names missing") == 4
