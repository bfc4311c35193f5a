"""Guest lists in Chromium: the coordinator makes a claim link for an unnamed seat; the guest, with no
account, opens it, names the seat and receives the ticket; the used link then explains itself."""

import re

import pytest

from tests.browser.conftest import SHOTS
from tests.distribution import conftest as distribution_fixtures
from tests.distribution.helpers import parts
from tickets.models import Ticket

PRIMARY = distribution_fixtures.PRIMARY
_media = distribution_fixtures._media
_fresh_rate_limits = distribution_fixtures._fresh_rate_limits
make_released = distribution_fixtures.make_released
issued = distribution_fixtures.issued
booking_for = distribution_fixtures.booking_for
smtp = distribution_fixtures.smtp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_sends_a_claim_link_and_the_guest_claims_the_seat(
        page, chromium, live_server, screenshot, smtp, booking_for, settings):
    settings.EVENTCHAIN_BASE_URL = live_server.url
    booking = booking_for("BOX-8", guests=1)

    page.goto(f"{live_server.url}/portal/sign-in/")
    page.get_by_label("Email").fill(PRIMARY)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    link = re.search(r"(http\S+/portal/sign-in/\S+/)", parts(smtp.messages_to(PRIMARY)[-1])[0]).group(1)
    page.goto(link)
    page.get_by_role("button", name="Sign in to the portal").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}/portal/bookings/{booking.pk}/")
    assert page.locator("#names-missing").inner_text() == "7 of 8 names missing"
    screenshot("guestlists-01-booking-placeholders")

    seat = Ticket.objects.filter(booking=booking, guest__isnull=True).order_by("manifest_line_id", "seat_index")[0]
    page.get_by_role("link", name=f"Claim link for {seat.place}").click()
    page.get_by_label("Email it to (optional)").fill("colleague@acme.example")
    page.get_by_role("button", name="Create claim link").click()
    url = page.get_by_label("Claim link").input_value()
    screenshot("guestlists-02-claim-link-made")
    emailed = parts(smtp.messages_to("colleague@acme.example")[-1])[0]
    assert url in emailed

    guest = chromium.new_context(viewport={"width": 420, "height": 860}).new_page()  # a phone, no session
    guest.goto(url)
    guest.get_by_role("heading", name="Claim your ticket").wait_for()
    guest.get_by_label("Your name (as printed on the ticket)").fill("Casey Claimant")
    guest.get_by_label("Email (your ticket is sent here)").fill("casey@guests.example")
    guest.get_by_label("Dietary needs").fill("Vegetarian")
    guest.screenshot(path=str(SHOTS / "guestlists-03-claim-form.png"), full_page=True)
    guest.get_by_role("button", name="Claim my ticket").click()
    guest.get_by_role("heading", name="You're on the list").wait_for()
    guest.screenshot(path=str(SHOTS / "guestlists-04-claimed.png"), full_page=True)
    seat.refresh_from_db()
    assert seat.guest.name == "Casey Claimant" and seat.guest.requirements == "Dietary: Vegetarian"

    guest.goto(url)
    assert "already been used" in guest.content()
    page.goto(f"{live_server.url}/portal/bookings/{booking.pk}/")
    assert page.locator("#names-missing").inner_text() == "6 of 8 names missing"
    guest.context.close()
