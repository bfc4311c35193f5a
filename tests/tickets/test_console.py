"""Lane 05 console: bookings to issue, guest list editing, issuing with progress, reissue/revoke, designs."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from eventchain.lifecycle import BookingStatus
from tickets.models import Guest, Ticket, TicketDesign, TicketStatus

pytestmark = pytest.mark.django_db


def test_home_lists_bookings_ready_to_issue(staff_client, make_released, django_assert_max_num_queries):
    ready = make_released("BOX-8")
    make_released("BOX-8", status=BookingStatus.INVOICED)
    for _ in range(3):
        make_released("TABLE-10")
    client = staff_client("ticketing")
    with django_assert_max_num_queries(12):
        response = client.get("/console/tickets/")
    assert response.status_code == 200
    body = response.content.decode()
    assert ready.reference in body and body.count("<strong>BK-") == 4
    assert 'aria-current="page"' in body
    empty = client.get("/console/tickets/?state=issued").content.decode()
    assert "No tickets have been issued yet." in empty
    partial = client.get("/console/tickets/?q=nothing-matches", HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="booking-table")
    assert partial.content.decode().lstrip().startswith('<div id="booking-table"')


def test_console_needs_the_ticketing_role(staff_client, client):
    assert staff_client("finance").get("/console/tickets/").status_code == 403
    assert client.get("/console/tickets/").status_code == 302


def test_guest_list_edit_with_htmx_and_errors_inline(staff_client, make_released):
    booking = make_released("BOX-8")
    client = staff_client("ticketing")
    page = client.get(f"/console/tickets/bookings/{booking.pk}/")
    assert page.status_code == 200 and page.content.decode().count('name="guests-') >= 8 * 4
    data = {"guests-TOTAL_FORMS": "8", "guests-INITIAL_FORMS": "0"}
    data.update({"guests-0-name": "Ann Lee", "guests-0-email": "ann@x.example",
                 "guests-1-name": "Bo Chen", "guests-1-email": "not-an-email"})
    bad = client.post(f"/console/tickets/bookings/{booking.pk}/guests/", data, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and 'id="guest-panel"' in bad.content.decode()
    assert "Enter a valid email address." in bad.content.decode()
    data["guests-1-email"] = "bo@x.example"
    good = client.post(f"/console/tickets/bookings/{booking.pk}/guests/", data, HTTP_HX_REQUEST="true")
    assert good.status_code == 200 and "Guest list saved." in good.content.decode()
    assert list(Guest.objects.filter(booking=booking).values_list("name", flat=True)) == ["Ann Lee", "Bo Chen"]


def test_issue_button_starts_the_job_and_shows_progress(staff_client, make_released,
                                                        django_capture_on_commit_callbacks):
    booking = make_released("BOX-8")
    client = staff_client("ticketing")
    assert "Issue tickets" in client.get(f"/console/tickets/bookings/{booking.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/tickets/bookings/{booking.pk}/issue/", {"channel": ""})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "job-progress" in page and "8 of 8" in page
    job_id = re.search(r"job=([0-9a-f-]+)", response["Location"]).group(1)
    progress = client.get(f"/console/jobs/{job_id}/progress/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 286  # finished: HTMX stops polling
    assert Ticket.objects.filter(booking=booking, status=TicketStatus.ISSUED).count() == 8
    assert "Reissue" in page and "Revoke" in page and "PDF" in page


def test_reissue_and_revoke_ask_for_confirmation(staff_client, issued):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    client = staff_client("ticketing")
    confirm = client.get(f"/console/tickets/tickets/{ticket.pk}/reissue/")
    assert confirm.status_code == 200 and "stops working" in confirm.content.decode()
    ticket.refresh_from_db()
    assert ticket.generation == 1  # looking at the question changes nothing
    done = client.post(f"/console/tickets/tickets/{ticket.pk}/reissue/", {"reason": "phone lost"})
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert ticket.generation == 2
    client.post(f"/console/tickets/tickets/{ticket.pk}/revoke/", {"reason": "guest cancelled"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REVOKED
    refused = client.post(f"/console/tickets/tickets/{ticket.pk}/reissue/", {})
    assert refused.status_code == 200 and "cannot be reissued" in refused.content.decode()


def test_console_downloads(staff_client, issued):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    client = staff_client("ticketing")
    pdf = client.get(f"/console/tickets/tickets/{ticket.pk}/pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    combined = client.get(f"/console/tickets/bookings/{booking.pk}/tickets.pdf")
    assert combined.status_code == 200
    assert client.get(f"/console/tickets/tickets/{ticket.pk}/pkpass").status_code == 404  # Apple not configured


def test_design_page_saves_branding_and_previews(staff_client, catalogue):
    event = catalogue["GF2026"]
    client = staff_client("ticketing")
    page = client.get(f"/console/tickets/designs/{event.code}/")
    assert page.status_code == 200 and 'type="color"' in page.content.decode()
    assert event.code in client.get("/console/tickets/designs/").content.decode()
    hero = io.BytesIO()
    Image.new("RGB", (800, 300), "#335577").save(hero, "JPEG")
    response = client.post(f"/console/tickets/designs/{event.code}/", {
        "primary_colour": "#223344", "accent_colour": "#ddaa55", "background_colour": "#ffffff",
        "text_colour": "#111111", "terms": "No pets.", "html": "", "css": "",
        "hero": SimpleUploadedFile("hero.jpg", hero.getvalue(), content_type="image/jpeg"),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    design = TicketDesign.objects.get(event=event)
    assert design.primary_colour == "#223344" and design.hero and design.version == 2

    preview = client.post(f"/console/tickets/designs/{event.code}/preview/", {
        "primary_colour": "#990000", "accent_colour": "#ddaa55", "background_colour": "#ffffff",
        "text_colour": "#111111", "terms": "Unsaved terms", "html": "", "css": "",
    }, HTTP_HX_REQUEST="true")
    assert preview.status_code == 200 and "data:image/png;base64," in preview.content.decode()
    assert TicketDesign.objects.get(event=event).primary_colour == "#223344"  # a preview saves nothing
    saved = client.get(f"/console/tickets/designs/{event.code}/preview/")
    assert saved["Content-Type"] == "application/pdf"


def test_design_refuses_a_template_that_reaches_out(staff_client, catalogue):
    event = catalogue["GF2026"]
    response = staff_client("ticketing").post(f"/console/tickets/designs/{event.code}/", {
        "primary_colour": "#223344", "accent_colour": "#ddaa55", "background_colour": "#ffffff",
        "text_colour": "#111111", "terms": "", "html": "",
        "css": "body { background: url(https://tracker.example/pixel.png) }",
    })
    assert response.status_code == 422
    assert "tracker.example" in response.content.decode()
    assert not TicketDesign.objects.filter(event=event).exists()


def test_rotating_the_signing_key_from_the_design_page(staff_client, issued):
    booking = issued("BOX-8")
    client = staff_client("ticketing")
    response = client.post(f"/console/tickets/designs/{booking.event.code}/rotate-key/")
    assert response.status_code == 302
    page = client.get(f"/console/tickets/designs/{booking.event.code}/").content.decode()
    assert "Retired" in page and "Active" in page
