"""The buyer portal in Chromium: sign in by emailed link, rename a guest inline, reissue a ticket, download a PDF."""

import re
from pathlib import Path

import pytest

from tests.distribution import conftest as distribution_fixtures
from tests.distribution.helpers import parts
from tickets.models import Guest, Ticket

# The distribution suite's fixtures (loopback SMTP, issued bookings with contacts and guests).
PRIMARY = distribution_fixtures.PRIMARY
_media = distribution_fixtures._media
_fresh_rate_limits = distribution_fixtures._fresh_rate_limits
make_released = distribution_fixtures.make_released
issued = distribution_fixtures.issued
booking_for = distribution_fixtures.booking_for
smtp = distribution_fixtures.smtp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_signs_in_renames_a_guest_reissues_and_downloads(page, live_server, screenshot, smtp, booking_for,
                                                               settings):
    settings.EVENTCHAIN_BASE_URL = live_server.url
    booking = booking_for("BOX-8", guests=3)
    guest = Guest.objects.get(booking=booking, position=1)

    page.goto(f"{live_server.url}/portal/sign-in/")
    page.get_by_label("Email").fill(PRIMARY)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    screenshot("portal-01-link-sent")

    text = parts(smtp.messages_to(PRIMARY)[-1])[0]
    link = re.search(r"(http\S+/portal/sign-in/\S+/)", text).group(1)
    page.goto(link)
    screenshot("portal-02-confirm-link")
    page.get_by_role("button", name="Sign in to the portal").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    page.get_by_role("heading", name="My bookings").wait_for()
    screenshot("portal-03-my-bookings")

    page.get_by_role("link", name=booking.reference).click()
    page.get_by_role("heading", name="Guests").wait_for()
    screenshot("portal-04-booking")

    row = page.locator(f"#guest-{guest.pk}")
    row.get_by_role("link", name="Edit Guest 1").click()
    row.locator("form").wait_for()
    row.get_by_label("Name").fill("Renamed Guest")
    screenshot("portal-05-inline-edit")
    row.get_by_role("button", name="Save guest").click()
    page.locator(f"#guest-{guest.pk}").get_by_text("Saved").wait_for()
    assert page.locator(f"#guest-{guest.pk} strong").inner_text() == "Renamed Guest"
    guest.refresh_from_db()
    assert guest.name == "Renamed Guest"

    ticket = Ticket.objects.get(guest=guest)
    page.get_by_role("link", name=f"Reissue {ticket.number}").click()
    page.get_by_label("Why is the ticket reissued?").fill("Guest lost their phone")
    screenshot("portal-06-reissue")
    page.get_by_role("button", name="Reissue ticket").click()
    page.get_by_text("reissued: the old code no longer works").wait_for()
    screenshot("portal-07-ticket-after-reissue")
    ticket.refresh_from_db()
    assert ticket.generation == 2

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == f"{ticket.number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
