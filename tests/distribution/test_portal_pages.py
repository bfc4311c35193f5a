"""The buyer portal: bookings, guests (inline, add, upload), delivery, reissue, revoke, transfer, files, invoices."""

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from buyers.models import Contact
from distribution.models import (
    DeliveryMessage,
    GuestUpload,
    MessageKind,
    MessageStatus,
    TicketTransfer,
    TrackingEvent,
    TrackingKind,
)
from eventchain.models import AuditEntry
from tickets.models import Guest, Ticket, TicketStatus

from .conftest import PRIMARY
from .helpers import link_named, local_path, parts, pass_json, pdf_pages

pytestmark = pytest.mark.django_db
ACTOR = f"contact:{PRIMARY}"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_in(booking_for, portal_client):
    """signed_in(guests=2) → (booking, portal client of its primary contact)."""

    def make(package_code="BOX-8", **kwargs):
        booking = booking_for(package_code, **kwargs)
        contact = Contact.objects.get(buyer=booking.buyer, is_primary=True)
        return booking, portal_client(contact)

    return make


def gate_revoked(api, booking):
    bundle = api("ticketing").get(f"/api/v1/events/{booking.event.code}/gate-bundle").json()
    return {(row["ticket"], row["generation"]) for row in bundle["revoked"]}


def test_my_bookings_lists_only_this_buyers_bookings(signed_in, booking_for, django_assert_max_num_queries):
    booking, portal = signed_in(guests=2)
    other = booking_for("BOX-8", primary="someone@else.example")
    with django_assert_max_num_queries(12):
        response = portal.get("/portal/")
    assert response.status_code == 200
    assert booking.reference.encode() in response.content and other.reference.encode() not in response.content
    with django_assert_max_num_queries(30):
        page = portal.get(f"/portal/bookings/{booking.pk}/")
    assert page.status_code == 200 and b"Guest 1" in page.content and b"Download all tickets" in page.content


def test_inline_guest_edit_with_htmx(signed_in):
    booking, portal = signed_in(guests=2)
    guest = Guest.objects.get(booking=booking, position=1)
    form = portal.get(f"/portal/bookings/{booking.pk}/guests/{guest.pk}/edit/", **HTMX)
    assert form.status_code == 200 and b"<form" in form.content and b"<html" not in form.content
    saved = portal.post(f"/portal/bookings/{booking.pk}/guests/{guest.pk}/edit/",
                        {"name": "Renamed Guest", "email": "guest1@guests.example", "phone": "", "requirements": "Vegan"},
                        **HTMX)
    assert saved.status_code == 200 and b"Renamed Guest" in saved.content and b"<tr" in saved.content
    guest.refresh_from_db()
    assert (guest.name, guest.requirements) == ("Renamed Guest", "Vegan")
    assert AuditEntry.objects.filter(action="tickets.guest_list_replaced", actor_label=ACTOR).exists()

    invalid = portal.post(f"/portal/bookings/{booking.pk}/guests/{guest.pk}/edit/",
                          {"name": "X", "email": "guest2@guests.example"}, **HTMX)
    assert invalid.status_code == 422 and b"more than once" in invalid.content
    # plain HTML: the same edit as a page and a redirect
    page = portal.post(f"/portal/bookings/{booking.pk}/guests/{guest.pk}/edit/", {"name": "Plain Name"})
    assert page.status_code == 302
    assert Guest.objects.get(pk=guest.pk).name == "Plain Name"


def test_add_guest_and_headcount_limit(signed_in):
    booking, portal = signed_in(guests=7)
    assert portal.post(f"/portal/bookings/{booking.pk}/guests/add/", {"name": "Eighth"}).status_code == 302
    assert Guest.objects.filter(booking=booking).count() == 8
    too_many = portal.post(f"/portal/bookings/{booking.pk}/guests/add/", {"name": "Ninth"})
    assert too_many.status_code == 422 and b"for 8 guests" in too_many.content


def test_csv_upload_with_row_errors_changes_nothing(signed_in):
    booking, portal = signed_in(guests=2)
    data = b"Name,Email\nAna,ana@x.example\n,missing@x.example\nBen,not-an-email\n"
    response = portal.post(f"/portal/bookings/{booking.pk}/guests/upload/",
                           {"file": SimpleUploadedFile("guests.csv", data, content_type="text/csv")})
    assert response.status_code == 422
    assert b"Row 3, name" in response.content and b"Row 4, email" in response.content
    assert list(Guest.objects.filter(booking=booking).values_list("name", flat=True)) == ["Guest 1", "Guest 2"]
    upload = GuestUpload.objects.get()
    assert upload.outcome == GuestUpload.Outcome.REJECTED and bytes(upload.content) == data


def test_xlsx_upload_replaces_the_guest_list(signed_in):
    booking, portal = signed_in(guests=2)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Guest name", "E-mail", "Mobile", "Dietary"])
    sheet.append(["Chloe Chan", "chloe@x.example", "0400 000 001", "Vegetarian"])
    sheet.append([None, None, None, None])
    sheet.append(["Dev Patel", "dev@x.example", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    response = portal.post(f"/portal/bookings/{booking.pk}/guests/upload/",
                           {"file": SimpleUploadedFile("guests.xlsx", buffer.getvalue())})
    assert response.status_code == 302
    assert list(Guest.objects.filter(booking=booking).values_list("name", "email", "requirements")) == [
        ("Chloe Chan", "chloe@x.example", "Vegetarian"), ("Dev Patel", "dev@x.example", "")]
    assert AuditEntry.objects.filter(action="portal.guests_uploaded", actor_label=ACTOR).exists()
    template = portal.get(f"/portal/bookings/{booking.pk}/guests/template.csv")
    assert template.status_code == 200 and template.content.startswith(b"name,email,phone,requirements")


def test_assign_a_guest_to_a_ticket(signed_in):
    booking, portal = signed_in(guests=2)
    guest = Guest.objects.get(booking=booking, position=2)
    ticket = Ticket.objects.filter(booking=booking, guest__isnull=True).first()
    assert portal.post(f"/portal/tickets/{ticket.pk}/assign/", {"guest": guest.pk}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.guest_id == guest.pk
    assert AuditEntry.objects.filter(action="tickets.guest_assigned", actor_label=ACTOR).exists()


def test_the_buyer_chooses_delivery_to_each_guest(signed_in, smtp, django_capture_on_commit_callbacks):
    booking, portal = signed_in(guests=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(f"/portal/bookings/{booking.pk}/send/", {"mode": "direct_to_guest"})
    assert response.status_code == 302 and "job=" in response["Location"]
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["guest1@guests.example", "guest2@guests.example", PRIMARY]
    assert AuditEntry.objects.filter(action="distribution.started", actor_label=ACTOR).exists()
    page = portal.get(response["Location"])
    assert b"All emails delivered" in page.content and b"guest1@guests.example" in page.content
    job_id = response["Location"].split("job=")[1].split("#")[0]
    progress = portal.get(f"/portal/bookings/{booking.pk}/jobs/{job_id}/", **HTMX)
    assert progress.status_code == 286 and b"3 of 3" in progress.content  # finished: htmx stops polling


def test_reissue_in_the_portal_revokes_the_old_code_at_the_gate(
        api, signed_in, smtp, django_capture_on_commit_callbacks):
    booking, portal = signed_in(guests=1)
    staff = api("ticketing")
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/api/v1/bookings/{booking.pk}/distribute", data=json.dumps({"mode": "direct_to_guest"}),
                   content_type="application/json")
    ticket = Ticket.objects.get(booking=booking, guest__position=1)
    old_code = ticket.code
    assert (str(ticket.pk), 1) not in gate_revoked(api, booking)

    missing_reason = portal.post(f"/portal/tickets/{ticket.pk}/reissue/", {"reason": ""})
    assert missing_reason.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(f"/portal/tickets/{ticket.pk}/reissue/", {"reason": "Phone lost"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.generation == 2 and ticket.code != old_code
    assert (str(ticket.pk), 1) in gate_revoked(api, booking)
    entry = AuditEntry.objects.get(action="tickets.reissued")
    assert entry.actor_label == ACTOR and entry.data["reason"] == "Phone lost"
    # re-sent on its channel (the guest), with the new code
    resent = smtp.messages_to("guest1@guests.example")[-1]
    assert DeliveryMessage.objects.filter(kind=MessageKind.RESEND, status=MessageStatus.DELIVERED).count() == 1
    assert ticket.number in parts(resent)[0]


def test_revoke_needs_confirmation(api, signed_in):
    booking, portal = signed_in()
    ticket = Ticket.objects.filter(booking=booking).first()
    page = portal.get(f"/portal/tickets/{ticket.pk}/revoke/")
    assert page.status_code == 200 and b"cannot be undone" in page.content
    unconfirmed = portal.post(f"/portal/tickets/{ticket.pk}/revoke/", {"reason": "not coming"})
    assert unconfirmed.status_code == 422
    assert Ticket.objects.get(pk=ticket.pk).status != TicketStatus.REVOKED
    confirmed = portal.post(f"/portal/tickets/{ticket.pk}/revoke/", {"reason": "not coming", "confirm": "on"})
    assert confirmed.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.REVOKED
    assert (str(ticket.pk), 1) in gate_revoked(api, booking)
    assert AuditEntry.objects.get(action="tickets.revoked").actor_label == ACTOR


def test_transfer_keeps_the_old_guest_in_history(api, pki, signed_in, smtp, client,
                                                 django_capture_on_commit_callbacks):
    booking, portal = signed_in(guests=1)
    with django_capture_on_commit_callbacks(execute=True):
        api("ticketing").post(f"/api/v1/bookings/{booking.pk}/distribute",
                              data=json.dumps({"mode": "direct_to_guest"}), content_type="application/json")
    [original] = smtp.messages_to("guest1@guests.example")
    old_link = link_named(parts(original)[1], "PDF")
    ticket = Ticket.objects.get(booking=booking, guest__position=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(f"/portal/tickets/{ticket.pk}/transfer/",
                               {"name": "Casey New", "email": "casey@new.example", "reason": "Guest 1 is ill"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.guest.name == "Casey New" and ticket.generation == 2
    move = TicketTransfer.objects.get()
    assert (move.from_name, move.from_email, move.to_name) == ("Guest 1", "guest1@guests.example", "Casey New")
    assert (str(ticket.pk), 1) in gate_revoked(api, booking)
    [new_mail] = smtp.messages_to("casey@new.example")
    [pkpass] = [a for a in parts(new_mail)[2] if a.get_content_type() == "application/vnd.apple.pkpass"]
    assert pass_json(pkpass.get_content())["barcodes"][0]["message"] == ticket.code
    assert client.get(local_path(old_link)).status_code == 410  # the previous holder's copy is dead
    page = portal.get(f"/portal/tickets/{ticket.pk}/")
    assert b"Previous guests" in page.content and b"Guest 1" in page.content and b"Transferred" in page.content
    assert TrackingEvent.objects.filter(kind=TrackingKind.CLAIMED, ticket=ticket).exists()
    assert AuditEntry.objects.filter(action="portal.ticket_transferred", actor_label=ACTOR).exists()


def test_portal_downloads_are_tracked(pki, google_wallet, signed_in):
    booking, portal = signed_in(guests=1)
    ticket = Ticket.objects.filter(booking=booking).first()
    pdf = portal.get(f"/portal/tickets/{ticket.pk}/files/pdf/")
    assert pdf.status_code == 200 and pdf_pages(b"".join(pdf.streaming_content)) == 1
    combined = portal.get(f"/portal/bookings/{booking.pk}/tickets.pdf")
    assert combined.status_code == 200 and pdf_pages(b"".join(combined.streaming_content)) == 8
    pkpass = portal.get(f"/portal/tickets/{ticket.pk}/files/pkpass/")
    assert pass_json(b"".join(pkpass.streaming_content))["serialNumber"] == ticket.number
    google = portal.get(f"/portal/tickets/{ticket.pk}/files/google/")
    assert google.status_code == 302 and google["Location"].startswith("https://pay.google.com/")
    kinds = sorted(TrackingEvent.objects.filter(booking=booking).values_list("kind", flat=True))
    assert kinds == sorted([TrackingKind.DOWNLOADED_PDF, TrackingKind.DOWNLOADED_PDF, TrackingKind.DOWNLOADED_PKPASS,
                            TrackingKind.GOOGLE_LINK])
    # the API's pdf_url works for the signed-in buyer too (tickets.access rule)
    assert portal.get(f"/api/v1/tickets/{ticket.pk}/pdf").status_code == 200


def test_resend_from_the_portal_is_rate_limited(signed_in, smtp, django_capture_on_commit_callbacks):
    booking, portal = signed_in(guests=1)
    ticket = Ticket.objects.get(booking=booking, guest__position=1)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert portal.post(f"/portal/tickets/{ticket.pk}/resend/").status_code == 302
    limited = portal.post(f"/portal/tickets/{ticket.pk}/resend/")
    assert limited.status_code == 429 and b"Try again in" in limited.content
    assert len(smtp.received) == 3
    assert AuditEntry.objects.filter(action="distribution.resent", actor_label=ACTOR).count() == 3


def test_invoices_with_payment_status_and_pdf(signed_in, make_invoice, booking_for):
    booking, portal = signed_in()
    invoice = make_invoice(booking, total="1100.00", paid="300.00")
    other = make_invoice(booking_for("BOX-8", primary="x@other.example"))
    page = portal.get("/portal/invoices/")
    assert page.status_code == 200
    assert invoice.number.encode() in page.content and b"Partially paid" in page.content and b"800.00" in page.content
    assert other.number.encode() not in page.content
    pdf = portal.get(f"/portal/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert portal.get(f"/portal/invoices/{other.pk}/pdf/").status_code == 404
