"""The event's three messages: staff wording and preview; confirmation, logistics and the two follow-ups,
each received by the loopback SMTP server by the right recipients, once."""

from datetime import timedelta

import pytest
import time_machine

from buyers import services as buyer_services
from buyers.models import Contact
from distribution import tasks
from distribution.guestlists import messages
from distribution.models import EventMessageSent
from eventchain.lifecycle import BookingStatus
from tickets.models import Ticket

from .conftest import PRIMARY
from .helpers import parts

pytestmark = pytest.mark.django_db
KINDS = messages.KINDS


def _save(event, kind, staff, **values):
    subject, body, _ = messages.template_for(event, kind)
    return messages.save_template(event=event, kind=kind, actor=staff, subject=values.get("subject", subject),
                                  body=values.get("body", body), days_before=values.get("days_before", 3))


def test_confirmation_goes_to_the_coordinator_when_allocation_is_confirmed(
        make_released, make_staff, smtp, django_capture_on_commit_callbacks):
    staff = make_staff("ticketing")
    booking = make_released("BOX-8", status=BookingStatus.CONFIRMED)
    Contact.objects.create(buyer=booking.buyer, name="Pat Buyer", email=PRIMARY, is_primary=True)
    with django_capture_on_commit_callbacks(execute=True):  # no wording saved: nothing goes out
        buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.ALLOCATED, actor=staff)
    assert smtp.received == []

    other = make_released("BOX-8", status=BookingStatus.CONFIRMED)
    Contact.objects.create(buyer=other.buyer, name="Robin Coord", email="robin@other.example", is_primary=True)
    _save(other.event, KINDS.CONFIRMATION, staff, subject="Confirmed: {{ event }} {{ reference }}")
    with django_capture_on_commit_callbacks(execute=True):
        buyer_services.transition(booking_id=other.pk, to_status=BookingStatus.ALLOCATED, actor=staff)
    assert [r.rcpt_tos for r in smtp.received] == [["robin@other.example"]]
    mail = smtp.received[0].message
    assert mail["Subject"] == f"Confirmed: {other.event.name} {other.reference}"
    text, html, _ = parts(mail)
    assert "Hello Robin Coord" in text and other.package.name in text and "What happens next" in html
    assert messages.send_confirmation(other) is False  # once per recipient


def test_logistics_message_goes_n_days_before_to_each_guest_and_the_rest_to_the_coordinator(
        booking_for, make_staff, smtp, django_capture_on_commit_callbacks):
    staff = make_staff("ticketing")
    booking = booking_for("BOX-8", guests=2)
    _save(booking.event, KINDS.LOGISTICS, staff, days_before=2)
    starts = booking.event.starts_at
    for at, expected in ((starts - timedelta(days=3), 0), (starts - timedelta(days=2), 3),
                         (starts - timedelta(days=1), 0)):
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert tasks.send_event_messages() == expected
    recipients = sorted(r.rcpt_tos[0] for r in smtp.received)
    assert recipients == sorted(["guest1@guests.example", "guest2@guests.example", PRIMARY])
    [guest_mail] = smtp.messages_to("guest1@guests.example")
    text, _, _ = parts(guest_mail)
    mine = Ticket.objects.get(booking=booking, guest__email="guest1@guests.example")
    assert mine.number in text and booking.event.venue.name in text
    assert "Hello Guest 1" in text
    [buyer_mail] = smtp.messages_to(PRIMARY)
    assert parts(buyer_mail)[0].count(f"{booking.event.code}-") >= 6  # the six unnamed tickets


def test_follow_up_differs_for_attendees_and_no_shows(booking_for, make_staff, smtp,
                                                      django_capture_on_commit_callbacks):
    staff = make_staff("ticketing")
    booking = booking_for("BOX-8", guests=2)
    _save(booking.event, KINDS.FOLLOWUP_ATTENDED, staff, subject="Thanks for coming, {{ name }}")
    _save(booking.event, KINDS.FOLLOWUP_NO_SHOW, staff, subject="Sorry we missed you, {{ name }}")
    came = Ticket.objects.get(booking=booking, guest__email="guest1@guests.example")
    with django_capture_on_commit_callbacks(execute=True):
        assert messages.send_follow_ups(event_id=booking.event_id, attended_ticket_ids=[came.pk]) == 3
        assert messages.send_follow_ups(event_id=booking.event_id, attended_ticket_ids=[came.pk]) == 0
    assert smtp.messages_to("guest1@guests.example")[0]["Subject"] == "Thanks for coming, Guest 1"
    assert smtp.messages_to("guest2@guests.example")[0]["Subject"] == "Sorry we missed you, Guest 2"
    assert smtp.messages_to(PRIMARY)[0]["Subject"] == "Sorry we missed you, Pat Buyer"
    assert EventMessageSent.objects.filter(booking=booking).count() == 3


def test_staff_edit_and_preview_messages_and_vip_packages_get_their_own(booking_for, make_staff, staff_client):
    booking = booking_for("BOX-8", guests=1)
    client = staff_client("ticketing")
    url = f"/console/distribution/events/{booking.event_id}/messages/logistics/"
    page = client.get(url)
    assert page.status_code == 200 and "Not sent until saved" in page.content.decode()
    preview = client.post(url, {"subject": "See you at {{ event }}", "body": "Hi {{ name }}, gates at {{ venue }}.",
                                "days_before": 4, "action": "preview"})
    body = preview.content.decode()
    assert preview.status_code == 200 and f"See you at {booking.event.name}" in body
    assert f"Hi Pat Buyer, gates at {booking.event.venue.name}." in body
    assert not messages.enabled(booking.event, KINDS.LOGISTICS)
    bad = client.post(url, {"subject": "x", "body": "{% if %}", "days_before": 4, "action": "save"})
    assert bad.status_code == 422 and not messages.enabled(booking.event, KINDS.LOGISTICS)
    saved = client.post(url, {"subject": "See you at {{ event }}", "body": "Hi {{ name }}.", "days_before": 4,
                              "action": "save"})
    assert saved.status_code == 200 and messages.enabled(booking.event, KINDS.LOGISTICS)
    assert messages.template_for(booking.event, KINDS.LOGISTICS)[2] == 4
    assert staff_client("sales").get(url).status_code == 403

    messages.save_template(event=booking.event, kind=KINDS.LOGISTICS, package=booking.package, subject="VIP {{ event }}",
                           body="Lounge access for {{ name }}.", actor=make_staff("ticketing"))
    subject, body = messages.render(booking=booking, kind=KINDS.LOGISTICS, name="Ana", tickets=[])
    assert (subject, body) == (f"VIP {booking.event.name}", "Lounge access for Ana.")


def test_closing_attendance_sends_the_follow_ups_by_who_came_in(
        booking_for, make_staff, smtp, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from reporting.attendance import close_event_attendance
    from reporting.gate.scans import ScanInput, record_scan

    staff = make_staff("ticketing")
    booking = booking_for("BOX-8", guests=2)
    event = booking.event
    _save(event, KINDS.FOLLOWUP_ATTENDED, staff, subject="Thanks for coming")
    _save(event, KINDS.FOLLOWUP_NO_SHOW, staff, subject="We missed you")
    came = Ticket.objects.get(booking=booking, guest__email="guest2@guests.example")
    scan = ScanInput(code=came.code, gate="Gate A", scanned_at=timezone.now())
    assert record_scan(event=event, scan=scan, source="desk")["result"] == "admitted"
    with time_machine.travel(event.ends_at + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        close_event_attendance(actor=staff, event_id=event.pk)
    assert [m["Subject"] for m in smtp.messages_to("guest2@guests.example")] == ["Thanks for coming"]
    assert [m["Subject"] for m in smtp.messages_to("guest1@guests.example")] == ["We missed you"]
    assert [m["Subject"] for m in smtp.messages_to(PRIMARY)] == ["We missed you"]
