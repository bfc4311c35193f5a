"""Ticket emails through a real SMTP server on loopback: bundle, direct-to-guest, size limit, links, pixel."""

import json

import pytest

from distribution.models import DeliveryMessage, MessageKind, MessageStatus, TrackingEvent, TrackingKind
from eventchain.lifecycle import BookingStatus
from tickets.models import Channel, Ticket, TicketStatus

from .conftest import PRIMARY
from .helpers import PIXEL, link_named, links, local_path, parts, pass_json, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


def distribute(client, booking, mode, capture):
    with capture(execute=True):
        response = client.post(f"/api/v1/bookings/{booking.pk}/distribute", data=json.dumps({"mode": mode}),
                               content_type="application/json")
    return response


def test_buyer_bundle_is_one_email_with_combined_pdf_passes_and_tracked_links(
        api, pki, booking_for, smtp, client, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=2)
    staff = api("ticketing")
    response = distribute(staff, booking, "buyer_bundle", django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = staff.get(f"/api/v1/jobs/{response.json()['job']}").json()
    assert job["status"] == "done" and job["done"] == job["total"] == 1 and job["errors"] == []
    booking.refresh_from_db()
    assert booking.status == BookingStatus.DISTRIBUTED

    assert len(smtp.received) == 1
    envelope = smtp.received[0]
    assert envelope.rcpt_tos == [PRIMARY]
    message = envelope.message
    assert message["To"] == f"Pat Buyer <{PRIMARY}>"
    assert message["Subject"] == f"Your tickets for {booking.event.name} ({booking.reference})"
    assert "List-Unsubscribe" not in message
    stored = DeliveryMessage.objects.get()
    assert message["Message-ID"] == stored.message_id
    text, html, attachments = parts(message)

    tickets = list(Ticket.objects.filter(booking=booking).order_by("manifest_line_id", "seat_index"))
    pdfs = [a for a in attachments if a.get_content_type() == "application/pdf"]
    passes = [a for a in attachments if a.get_content_type() == "application/vnd.apple.pkpass"]
    assert [a.get_filename() for a in pdfs] == [f"{booking.reference}-tickets.pdf"]
    assert pdf_pages(pdfs[0].get_content()) == len(tickets) == 8
    assert "Guest 1" in pdf_text(pdfs[0].get_content())
    assert sorted(pass_json(a.get_content())["serialNumber"] for a in passes) == sorted(t.number for t in tickets)
    codes = {pass_json(a.get_content())["barcodes"][0]["message"] for a in passes}
    assert codes == {t.code for t in tickets}

    # event details in the venue's zone, what to bring, support contact — in both parts
    local_start = booking.event.starts_at.astimezone(booking.event.tz)
    for body in (text, html):
        assert booking.event.name in body and booking.event.venue.name in body
        assert local_start.strftime("%-d %B %Y") in body
        assert "Photo ID" in body and "support@eventchain.local" in body
    assert "Australia/Sydney" in text

    # tracked links: every ticket's PDF, the combined PDF and the portal; a 1×1 pixel
    ticket_links = [url for url in links(html) if "/portal/f/" in url]
    # per ticket: PDF and Apple Wallet; plus "download all"
    assert len(ticket_links) == 2 * len(tickets) + 1
    assert link_named(html, "Download all tickets (PDF)") in ticket_links
    download = client.get(local_path(link_named(html, "PDF")))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert TrackingEvent.objects.filter(kind=TrackingKind.DOWNLOADED_PDF, message=stored).count() == 1

    pixel = PIXEL.search(html).group(1)
    opened = client.get(local_path(pixel))
    assert opened.status_code == 200 and opened["Content-Type"] == "image/gif"
    assert opened.content.startswith(b"GIF89a")
    client.get(local_path(pixel))  # image proxies load it again: still one open
    stored.refresh_from_db()
    assert stored.opened_at is not None and stored.status == MessageStatus.DELIVERED
    assert TrackingEvent.objects.filter(kind=TrackingKind.OPENED).count() == 1
    assert set(TrackingEvent.objects.filter(message=stored).values_list("kind", flat=True)) >= {
        TrackingKind.SENT, TrackingKind.DELIVERED, TrackingKind.OPENED}

    # the tickets are now sent on the buyer channel
    assert {(t.status, t.channel) for t in Ticket.objects.filter(booking=booking)} == {
        (TicketStatus.SENT, Channel.EMAIL_BUYER)}


def test_direct_to_guest_sends_each_guest_only_their_ticket(
        api, pki, booking_for, smtp, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=3)
    response = distribute(api("ticketing"), booking, "direct_to_guest", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    # three guests with email; the five unnamed tickets go to the primary contact in one bundle
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [
        "guest1@guests.example", "guest2@guests.example", "guest3@guests.example", PRIMARY]
    for n in (1, 2, 3):
        [message] = smtp.messages_to(f"guest{n}@guests.example")
        ticket = Ticket.objects.get(booking=booking, guest__email=f"guest{n}@guests.example")
        assert message["To"] == f"Guest {n} <guest{n}@guests.example>"
        _, html, attachments = parts(message)
        [pdf] = [a for a in attachments if a.get_content_type() == "application/pdf"]
        [pkpass] = [a for a in attachments if a.get_content_type() == "application/vnd.apple.pkpass"]
        assert pdf.get_filename() == f"{ticket.number}.pdf" and pdf_pages(pdf.get_content()) == 1
        assert f"Guest {n}" in pdf_text(pdf.get_content())
        assert pass_json(pkpass.get_content())["barcodes"][0]["message"] == ticket.code
        others = Ticket.objects.filter(booking=booking).exclude(pk=ticket.pk)
        assert not any(other.number in html for other in others)
        assert ticket.status == TicketStatus.SENT
    [bundle] = smtp.messages_to(PRIMARY)
    assert pdf_pages([a for a in parts(bundle)[2] if a.get_content_type() == "application/pdf"][0].get_content()) == 5
    channels = dict(Ticket.objects.filter(booking=booking).values_list("guest__email", "channel"))
    assert channels["guest1@guests.example"] == Channel.EMAIL_GUEST and channels[None] == Channel.EMAIL_BUYER


def test_attachments_over_the_limit_become_a_portal_link(
        api, booking_for, smtp, settings, django_capture_on_commit_callbacks):
    settings.EVENTCHAIN_EMAIL_ATTACHMENT_LIMIT = 10_000
    booking = booking_for("BOX-8")
    distribute(api("ticketing"), booking, "buyer_bundle", django_capture_on_commit_callbacks)
    [message] = [r.message for r in smtp.received]
    text, html, attachments = parts(message)
    assert attachments == []
    assert "too large to attach" in text and f"/portal/bookings/{booking.pk}/" in html
    stored = DeliveryMessage.objects.get()
    assert stored.context["attached"] is False and stored.attachment_bytes == 0


def test_google_wallet_link_is_tracked(api, booking_for, smtp, google_wallet, client,
                                       django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=1)
    distribute(api("ticketing"), booking, "direct_to_guest", django_capture_on_commit_callbacks)
    [message] = smtp.messages_to("guest1@guests.example")
    google = link_named(parts(message)[1], "Google Wallet")
    response = client.get(local_path(google))
    assert response.status_code == 302 and response["Location"].startswith("https://pay.google.com/gp/v/save/")
    assert TrackingEvent.objects.filter(kind=TrackingKind.GOOGLE_LINK).count() == 1


def test_reissue_resends_on_the_ticket_channel_and_old_links_go_stale(
        api, pki, booking_for, smtp, client, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8", guests=1)
    staff = api("ticketing")
    distribute(staff, booking, "direct_to_guest", django_capture_on_commit_callbacks)
    [first] = smtp.messages_to("guest1@guests.example")
    old_link = next(url for url in links(parts(first)[1]) if "/portal/f/" in url)
    ticket = Ticket.objects.get(booking=booking, guest__email="guest1@guests.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/tickets/{ticket.pk}/reissue", data=json.dumps({"reason": "lost phone"}),
                              content_type="application/json")
    assert response.status_code == 200 and response.json()["generation"] == 2
    first_again, second = smtp.messages_to("guest1@guests.example")
    assert second["Subject"] == f"Your updated ticket for {booking.event.name}"
    text, _, attachments = parts(second)
    assert "no longer works" in text
    ticket.refresh_from_db()
    [pkpass] = [a for a in attachments if a.get_content_type() == "application/vnd.apple.pkpass"]
    assert pass_json(pkpass.get_content())["barcodes"][0]["message"] == ticket.code
    assert DeliveryMessage.objects.filter(kind=MessageKind.RESEND, recipient_email="guest1@guests.example",
                                          status=MessageStatus.DELIVERED).count() == 1
    stale = client.get(local_path(old_link))
    assert stale.status_code == 410 and b"out of date" in stale.content


def test_adding_the_pass_to_apple_wallet_is_tracked(pki, booking_for, client):
    booking = booking_for("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    from tests.tickets.conftest import PASS_TYPE_ID

    response = client.post(f"/wallet/v1/devices/dev-1/registrations/{PASS_TYPE_ID}/{ticket.number}",
                           json.dumps({"pushToken": "tok"}), content_type="application/json",
                           HTTP_AUTHORIZATION=f"ApplePass {ticket.apple_auth_token}")
    assert response.status_code == 201
    event = TrackingEvent.objects.get(kind=TrackingKind.WALLET_APPLE)
    assert event.ticket_id == ticket.pk and event.booking_id == booking.pk
    from distribution import queries

    assert queries.booking_counts([booking.pk])[booking.pk]["wallet"] == 1


def test_distribute_refusals(api, booking_for, make_released, django_capture_on_commit_callbacks):
    booking = booking_for("BOX-8")
    staff = api("ticketing")
    bad = staff.post(f"/api/v1/bookings/{booking.pk}/distribute", data=json.dumps({"mode": "carrier_pigeon"}),
                     content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "mode"
    missing = staff.post(f"/api/v1/bookings/{booking.pk}/distribute", data="{}", content_type="application/json")
    assert missing.status_code == 422
    assert api("finance").post(f"/api/v1/bookings/{booking.pk}/distribute", data=json.dumps(
        {"mode": "buyer_bundle"}), content_type="application/json").status_code == 403
    assert staff.post("/api/v1/bookings/999999/distribute", data=json.dumps({"mode": "buyer_bundle"}),
                      content_type="application/json").status_code == 404
    released = make_released("BOX-8")
    not_issued = staff.post(f"/api/v1/bookings/{released.pk}/distribute", data=json.dumps({"mode": "buyer_bundle"}),
                            content_type="application/json")
    assert not_issued.status_code == 409 and "issued" in not_issued.json()["errors"][0]["message"]
    orphan = booking_for("BOX-8", primary=None)
    no_contact = staff.post(f"/api/v1/bookings/{orphan.pk}/distribute", data=json.dumps({"mode": "buyer_bundle"}),
                            content_type="application/json")
    assert no_contact.status_code == 409 and "primary contact" in no_contact.json()["errors"][0]["message"]
    assert not DeliveryMessage.objects.exists()
