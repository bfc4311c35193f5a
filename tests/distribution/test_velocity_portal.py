"""Fraud rules and limits in the portal: transfers per buyer, downloads per session, the per-session budget of
writes, and sign-in links (429 with Retry-After)."""

import pytest
from django.test import Client

from buyers.models import Contact
from eventchain import velocity
from eventchain.models import Flag
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.EVENTCHAIN_VELOCITY_RULES = {
        "buyer_transfers": {"threshold": 2, "window": 3600},
        "session_downloads": {"threshold": 3, "window": 600},
        "ticket_reissues": {"threshold": 0, "window": 60},  # off: these tests count other rules
    }
    settings.EVENTCHAIN_SUPPORT_EMAIL = "help@tickets.example"


@pytest.fixture
def signed_in(booking_for, portal_client):
    def make(**kwargs):
        booking = booking_for("BOX-8", **kwargs)
        contact = Contact.objects.get(buyer=booking.buyer, is_primary=True)
        return booking, contact, portal_client(contact)

    return make


def _transfer(portal, ticket, n):
    return portal.post(f"/portal/tickets/{ticket.pk}/transfer/",
                       {"name": f"New Guest {n}", "email": f"new{n}@guests.example", "reason": "swap"})


def test_transfers_by_one_buyer_trip_at_the_threshold_and_hold_the_buyer(signed_in, make_staff):
    booking, _, portal = signed_in(guests=3)
    first, second, third = Ticket.objects.filter(booking=booking).order_by("pk")[:3]

    assert _transfer(portal, first, 1).status_code == 302
    assert not Flag.objects.exists()
    assert _transfer(portal, second, 2).status_code == 302  # the second of two goes ahead and trips the rule
    flag = Flag.objects.get(rule="buyer_transfers", subject_type="buyer", subject_id=str(booking.buyer_id))
    assert flag.count == 2

    refused = _transfer(portal, third, 3)
    assert refused.status_code == 409
    assert b"is held for review" in refused.content and b"help@tickets.example" in refused.content
    third.refresh_from_db()
    assert third.generation == 1 and third.guest.name != "New Guest 3"

    velocity.release_flag(actor=make_staff("admin"), flag_id=flag.pk, note="Team changes, confirmed by phone.")
    assert _transfer(portal, third, 3).status_code == 302


def test_bulk_downloads_from_one_session_hold_that_session(signed_in, make_staff):
    booking, contact, portal = signed_in(guests=1)
    ticket = Ticket.objects.filter(booking=booking).first()
    url = f"/portal/tickets/{ticket.pk}/files/pdf/"

    for _ in range(3):  # the third reaches the threshold and is still served
        response = portal.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    flag = Flag.objects.get(rule="session_downloads", subject_type="portal_session")
    assert contact.email in flag.subject_label and flag.count == 3

    held = portal.get(url)
    assert held.status_code == 409 and b"is held for review" in held.content
    assert portal.get(f"/portal/bookings/{booking.pk}/tickets.pdf").status_code == 409
    other_session = Client()  # the rule holds the session, not the contact
    session = other_session.session
    session["portal_contact_id"] = contact.pk
    session.save()
    assert other_session.get(url).status_code == 200

    velocity.release_flag(actor=make_staff("admin"), flag_id=flag.pk, note="Assistant printing for the team.")
    assert portal.get(url).status_code == 200


def test_a_held_ticket_cannot_be_downloaded_or_transferred(signed_in, make_staff):
    booking, _, portal = signed_in(guests=1)
    ticket = Ticket.objects.filter(booking=booking).first()
    flag = Flag.objects.create(rule="ticket_reissues", subject_type="ticket", subject_id=str(ticket.pk),
                               subject_label=f"Ticket {ticket.number}", count=3, threshold=3, window_seconds=86400,
                               first_at=ticket.created_at)
    download = portal.get(f"/portal/tickets/{ticket.pk}/files/pdf/")
    assert download.status_code == 409 and f"Ticket {ticket.number} is held for review".encode() in download.content
    assert _transfer(portal, ticket, 1).status_code == 409
    velocity.confirm_flag(actor=make_staff("admin"), flag_id=flag.pk, note="Confirmed resale.")
    assert portal.get(f"/portal/tickets/{ticket.pk}/files/pdf/").status_code == 409  # confirm keeps the hold


def test_portal_writes_share_a_per_session_budget(signed_in, settings):
    settings.EVENTCHAIN_PORTAL_ACTIONS_PER_MINUTE = 2
    booking, _, portal = signed_in(guests=1)
    ticket = Ticket.objects.filter(booking=booking).first()
    for _ in range(2):
        assert portal.post(f"/portal/tickets/{ticket.pk}/assign/", {"guest": ""}).status_code != 429
    limited = portal.post(f"/portal/tickets/{ticket.pk}/reissue/", {"reason": "lost"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert b"a lot of changes in a short time" in limited.content
    ticket.refresh_from_db()
    assert ticket.generation == 1  # refused before anything ran
    assert portal.get(f"/portal/tickets/{ticket.pk}/").status_code == 200  # reading is not limited


def test_sign_in_links_answer_429_with_retry_after(db, settings):
    settings.EVENTCHAIN_PORTAL_LINKS_PER_EMAIL = 1
    client = Client()
    assert client.post("/portal/sign-in/", {"email": "someone@acme.example"}).status_code == 200
    limited = client.post("/portal/sign-in/", {"email": "someone@acme.example"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
