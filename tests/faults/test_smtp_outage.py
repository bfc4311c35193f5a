"""The mail server is down while tickets are distributed, then comes back: a real worker retries from the
outbox and every email arrives exactly once; staff see the retries."""

from email import message_from_bytes, policy

import pytest
from django.urls import reverse

from buyers.models import Contact
from distribution.models import DeliveryMessage, MessageStatus
from distribution.services import sending
from eventchain import jobs
from eventchain.lifecycle import BookingStatus
from eventchain.models import Job, OutboxMessage
from tests.distribution.conftest import LoopbackSMTP
from tickets import services as ticket_services
from tickets.models import Ticket

from .conftest import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

GUESTS = 6  # of 8 seats: six guest emails and one bundle to the buyer with the two unnamed tickets


@pytest.fixture
def mail_server(stack, settings):
    """A loopback SMTP server that is not listening yet: its port is closed until the test starts it."""
    server = LoopbackSMTP()
    values = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
              "EMAIL_PORT": str(server.port), "EMAIL_USE_TLS": "0", "EMAIL_TIMEOUT": "5"}
    stack.configure(**values)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    yield server
    server.stop()


def issued_booking(make_released, make_staff):
    booking = make_released("BOX-8", units=1)
    actor = make_staff("ticketing")
    job = jobs.start(kind=ticket_services.JOB_KIND, total=8, actor=actor, target=booking)
    ticket_services.run_issuance(job_id=job.pk, booking_id=booking.pk, actor=actor)
    Contact.objects.create(buyer=booking.buyer, name="Pat Buyer", email="pat@acme.example", is_primary=True)
    ticket_services.set_guest_list(
        booking_id=booking.pk, actor=actor,
        guests=[{"name": f"Guest {n}", "email": f"guest{n}@guests.example"} for n in range(1, GUESTS + 1)],
    )
    booking.refresh_from_db()
    return booking


def test_emails_wait_out_a_mail_server_outage_and_arrive_once(stack, mail_server, make_released, make_staff,
                                                               staff_page):
    booking = issued_booking(make_released, make_staff)
    assert booking.status == BookingStatus.ISSUED
    stack.start_worker()
    job = sending.start_distribution(booking_id=booking.pk, mode="direct_to_guest", actor=make_staff("ticketing"))
    expected = GUESTS + 1

    def all_failed_twice():
        rows = OutboxMessage.objects.filter(kind=sending.OUTBOX_KIND)
        return rows.count() == expected and all(row.attempts >= 2 for row in rows)

    try:
        wait_until(all_failed_twice, 60, what="every email to fail at least twice against the closed port")
    except AssertionError:
        pytest.fail(f"Expected failing retries:\n{stack.logs()}")
    assert not mail_server.received
    assert set(DeliveryMessage.objects.filter(booking=booking).values_list("status", flat=True)) <= {
        MessageStatus.QUEUED, MessageStatus.SENT}

    mail_server.start()

    def all_done():
        return OutboxMessage.objects.filter(kind=sending.OUTBOX_KIND, status=OutboxMessage.Status.DONE
                                            ).count() == expected

    try:
        wait_until(all_done, 60, what="every email to be delivered once the server is back")
    except AssertionError:
        pytest.fail(f"Not all delivered: {list(OutboxMessage.objects.values_list('status', 'last_error'))}\n"
                    f"{stack.logs()}")

    # Nothing lost, nothing duplicated: each recipient got exactly one message, with its own tickets.
    received = [message_from_bytes(item.raw, policy=policy.default) for item in mail_server.received]
    recipients = sorted(str(message["To"]).split("<")[-1].rstrip(">").lower() for message in received)
    want = sorted([f"guest{n}@guests.example" for n in range(1, GUESTS + 1)] + ["pat@acme.example"])
    assert recipients == want
    assert len({message["Message-ID"] for message in received}) == expected
    assert all(any(part.get_content_type() == "application/pdf" for part in m.iter_attachments()) for m in received)
    messages = list(DeliveryMessage.objects.filter(booking=booking))
    assert len(messages) == expected and {m.status for m in messages} == {MessageStatus.DELIVERED}
    sent_tickets = [pk for m in messages for pk in m.tickets.values_list("pk", flat=True)]
    assert sorted(sent_tickets) == sorted(Ticket.objects.filter(booking=booking).values_list("pk", flat=True))
    # Finished: the distribution job is done and the booking distributed.
    job.refresh_from_db()
    booking.refresh_from_db()
    assert job.status == Job.Status.DONE and (job.done, job.total) == (expected, expected)
    assert booking.status == BookingStatus.DISTRIBUTED
    # Visible to staff: the send queue shows each email's attempts; the outbox lists the retried rows.
    page = staff_page("admin", reverse("distribution:booking", args=[booking.pk]))
    for message in messages:
        assert message.attempts >= 3 and message.recipient_email in page
        assert f'<td class="num">{message.attempts}</td>' in page
    outbox_page = staff_page("admin", reverse("outbox-list") + f"?status=done&kind={sending.OUTBOX_KIND}")
    for row in OutboxMessage.objects.filter(kind=sending.OUTBOX_KIND):
        assert f'id="outbox-{row.pk}"' in outbox_page and row.attempts >= 3
