"""Nothing lost, nothing doubled: SMTP outages retry, 5xx refusals bounce (shown to staff), resends are limited."""

import json
import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from distribution.channels.email import classify
from distribution.models import DeliveryMessage, MessageStatus, TrackingEvent, TrackingKind
from eventchain import outbox
from eventchain.models import AuditEntry, Job, OutboxMessage
from tickets.models import Ticket, TicketStatus

from .conftest import PRIMARY

pytestmark = pytest.mark.django_db


def distribute(api, booking, mode, capture):
    with capture(execute=True):
        response = api("ticketing").post(f"/api/v1/bookings/{booking.pk}/distribute",
                                         data=json.dumps({"mode": mode}), content_type="application/json")
    assert response.status_code == 202, response.content
    return Job.objects.get(pk=response.json()["job"])


def test_smtp_down_then_up_delivers_every_message_exactly_once(
        api, booking_for, smtp, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=3)
    smtp.stop()
    job = distribute(api, booking, "direct_to_guest", django_capture_on_commit_callbacks)

    rows = list(DeliveryMessage.objects.all())
    assert len(rows) == 4 and smtp.received == []
    for row in rows:
        assert row.status == MessageStatus.QUEUED and "ConnectionRefusedError" in row.last_error
        assert row.outbox.status == OutboxMessage.Status.FAILED and row.outbox.attempts == 1
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.done == 0 and job.total == 4
    assert not Ticket.objects.filter(booking=booking, status=TicketStatus.SENT).exists()

    # Still down at the next try: another failed attempt each, nothing delivered.
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert outbox.dispatch_due() == 4
    assert smtp.received == []

    smtp.start()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert outbox.dispatch_due() == 4
        assert outbox.dispatch_due() == 0  # nothing left due: nothing sent twice
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert outbox.dispatch_due() == 0

    assert len(smtp.received) == 4
    ids = [item.message["Message-ID"] for item in smtp.received]
    assert sorted(ids) == sorted(DeliveryMessage.objects.values_list("message_id", flat=True))
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [
        "guest1@guests.example", "guest2@guests.example", "guest3@guests.example", PRIMARY]
    assert set(DeliveryMessage.objects.values_list("status", flat=True)) == {MessageStatus.DELIVERED}
    assert all(row.attempts == 3 for row in DeliveryMessage.objects.all())
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.done == 4 and job.errors == []
    assert set(Ticket.objects.filter(booking=booking).values_list("status", flat=True)) == {TicketStatus.SENT}


def test_a_permanent_recipient_refusal_bounces_and_is_shown_to_staff(
        api, booking_for, smtp, staff_client, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=2)
    smtp.mailbox.refuse_rcpt["guest2@guests.example"] = "550 5.1.1 <guest2@guests.example>: no such user"
    job = distribute(api, booking, "direct_to_guest", django_capture_on_commit_callbacks)

    bounced = DeliveryMessage.objects.get(recipient_email="guest2@guests.example")
    assert bounced.status == MessageStatus.BOUNCED and "550" in bounced.last_error and bounced.bounced_at
    assert bounced.outbox.status == OutboxMessage.Status.DEAD and bounced.outbox.attempts == 1
    assert TrackingEvent.objects.filter(kind=TrackingKind.BOUNCED, message=bounced).exists()
    assert AuditEntry.objects.filter(action="distribution.bounced").count() == 1
    assert [r.rcpt_tos for r in smtp.received if r.rcpt_tos == ["guest2@guests.example"]] == []
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and any("guest2@guests.example" in e for e in job.errors)
    # the bounced guest's ticket was not marked sent
    assert Ticket.objects.get(guest__email="guest2@guests.example").status == TicketStatus.ISSUED

    console = staff_client("ticketing")
    home = console.get("/console/distribution/")
    assert home.status_code == 200
    assert b"guest2@guests.example" in home.content and b"Bounced" in home.content and b"no such user" in home.content
    page = console.get(f"/console/distribution/bookings/{booking.pk}/")
    assert b"Bounced" in page.content

    # After the buyer fixes the mailbox, staff send it again from the console.
    smtp.mailbox.refuse_rcpt.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(f"/console/distribution/messages/{bounced.pk}/resend/")
    assert response.status_code == 302
    assert len(smtp.messages_to("guest2@guests.example")) == 1
    assert AuditEntry.objects.filter(action="distribution.resent").count() == 1


def test_content_refused_at_data_is_a_bounce(api, booking_for, smtp, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8")
    smtp.mailbox.data_reply = "554 5.7.1 Message rejected as spam"
    distribute(api, booking, "buyer_bundle", django_capture_on_commit_callbacks)
    row = DeliveryMessage.objects.get()
    assert row.status == MessageStatus.BOUNCED and "554" in row.last_error


def test_a_temporary_refusal_retries_then_delivers(api, booking_for, smtp, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8")
    smtp.mailbox.refuse_rcpt[PRIMARY] = "450 4.2.1 Mailbox busy, try later"
    distribute(api, booking, "buyer_bundle", django_capture_on_commit_callbacks)
    row = DeliveryMessage.objects.get()
    assert row.status == MessageStatus.QUEUED and "450" in row.last_error
    assert row.outbox.status == OutboxMessage.Status.FAILED
    smtp.mailbox.refuse_rcpt.clear()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert outbox.dispatch_due() == 1
    row.refresh_from_db()
    assert row.status == MessageStatus.DELIVERED and len(smtp.received) == 1


def test_giving_up_after_the_last_attempt_marks_the_message_failed(
        api, booking_for, smtp, settings, django_capture_on_commit_callbacks):
    settings.EVENTCHAIN_OUTBOX_MAX_ATTEMPTS = 2
    booking = booking_for("BOX-8")
    smtp.stop()
    job = distribute(api, booking, "buyer_bundle", django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        outbox.dispatch_due()
    row = DeliveryMessage.objects.get()
    assert row.status == MessageStatus.FAILED and "Gave up after 2 attempts" in row.last_error
    assert row.outbox.status == OutboxMessage.Status.DEAD
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.errors


@pytest.mark.parametrize(("exc", "outcome"), [
    (smtplib.SMTPRecipientsRefused({"a@x.example": (550, b"no such user")}), "bounce"),
    (smtplib.SMTPRecipientsRefused({"a@x.example": (451, b"greylisted")}), "retry"),
    (smtplib.SMTPDataError(552, b"message too big"), "bounce"),
    (smtplib.SMTPDataError(451, b"local error"), "retry"),
    (smtplib.SMTPSenderRefused(553, b"sender not allowed", "tickets@eventchain.local"), "fail"),
    (smtplib.SMTPConnectError(554, b"no service"), "retry"),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials"), "retry"),
    (smtplib.SMTPServerDisconnected("gone"), "retry"),
    (ConnectionRefusedError(111, "Connection refused"), "retry"),
    (TimeoutError("timed out"), "retry"),
])
def test_smtp_failures_are_classified(exc, outcome):
    assert classify(exc).outcome == outcome


def test_resends_are_rate_limited_and_audited(booking_for, smtp, staff_client, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=1)
    ticket = Ticket.objects.get(booking=booking, guest__isnull=False)
    console = staff_client("ticketing")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert console.post(f"/console/distribution/tickets/{ticket.pk}/resend/").status_code == 302
    refused = console.post(f"/console/distribution/tickets/{ticket.pk}/resend/", follow=True)
    assert b"resent several times" in refused.content and b"Try again in" in refused.content
    assert len(smtp.received) == 3
    assert AuditEntry.objects.filter(action="distribution.resent", object_id=str(ticket.pk)).count() == 3


def test_console_pages_render_with_flat_query_counts(api, booking_for, smtp, staff_client,
                                                     django_capture_on_commit_callbacks,
                                                     django_assert_max_num_queries):
    bookings = [booking_for("BOX-8", guests=2) for _ in range(3)]
    for booking in bookings:
        distribute(api, booking, "direct_to_guest", django_capture_on_commit_callbacks)
    console = staff_client("ticketing")
    with django_assert_max_num_queries(20):
        home = console.get("/console/distribution/?state=sent")
    assert home.status_code == 200 and all(b.reference.encode() in home.content for b in bookings)
    with django_assert_max_num_queries(25):
        page = console.get(f"/console/distribution/bookings/{bookings[0].pk}/")
    assert page.status_code == 200 and b"guest1@guests.example" in page.content
    ticket = Ticket.objects.filter(booking=bookings[0], guest__isnull=False).first()
    timeline = console.get(f"/console/distribution/tickets/{ticket.pk}/")
    assert timeline.status_code == 200 and b"Delivered to the mail server" in timeline.content
    assert staff_client("finance").get("/console/distribution/").status_code == 403
