"""The buyer's guest address book: de-duplicated by email, last invited, this season; scoped search."""

from datetime import timedelta

import pytest
import time_machine

from buyers.models import Contact
from distribution.guestlists import addressbook
from tickets import services as ticket_services
from tickets.models import Guest

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_guests_are_deduplicated_by_email_case_insensitively(booking_for, make_released, make_staff):
    first = booking_for("BOX-8")
    staff = make_staff("ticketing")
    season = first.event.starts_at - timedelta(days=30)
    with time_machine.travel(season, tick=False):
        ticket_services.set_guest_list(booking_id=first.pk, actor=staff, guests=[
            {"name": "Dana Old", "email": "dana@client.example"}, {"name": "Lee", "email": "lee@client.example"},
            {"name": "No Email"},
        ])
    second = make_released("BOX-8")
    second.buyer = first.buyer
    second.save(update_fields=["buyer"])
    with time_machine.travel(season + timedelta(days=1), tick=False):
        ticket_services.set_guest_list(booking_id=second.pk, actor=staff,
                                       guests=[{"name": "Dana New", "email": "DANA@Client.example", "phone": "0411"}])
        entries = {entry.email: entry for entry in addressbook.entries(first.buyer)}
    assert sorted(entries) == ["dana@client.example", "lee@client.example"]
    dana = entries["dana@client.example"]
    assert (dana.name, dana.phone) == ("Dana New", "0411")  # the latest details win
    assert dana.last_invited == Guest.objects.get(booking=second).created_at
    assert (dana.this_season, entries["lee@client.example"].this_season) == (2, 1)
    with time_machine.travel(first.event.starts_at + timedelta(days=400), tick=False):
        assert {e.email: e.this_season for e in addressbook.entries(first.buyer)}["dana@client.example"] == 0


def test_search_as_you_type_is_scoped_to_the_signed_in_buyer(booking_for, portal_client, make_staff):
    mine = booking_for("BOX-8")
    theirs = booking_for("BOX-8", primary="other@elsewhere.example")
    staff = make_staff("ticketing")
    ticket_services.set_guest_list(booking_id=mine.pk, actor=staff,
                                   guests=[{"name": "Robin Mine", "email": "robin@mine.example"}])
    ticket_services.set_guest_list(booking_id=theirs.pk, actor=staff,
                                   guests=[{"name": "Robin Theirs", "email": "robin@theirs.example"}])
    client = portal_client(Contact.objects.get(buyer=mine.buyer, is_primary=True))
    response = client.get("/portal/address-book/", {"q": "robin", "booking": mine.pk}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "Robin Mine" in body and "Robin Theirs" not in body
    assert "<html" not in body and f"/portal/bookings/{mine.pk}/guests/add/" in body
    assert client.get("/portal/address-book/", {"q": "robin", "booking": theirs.pk}).status_code == 404
    assert "Invite someone from before" in client.get(f"/portal/bookings/{mine.pk}/").content.decode()
    assert addressbook.search(mine.buyer, "") == []


def test_people_stay_in_the_address_book_after_the_guest_list_changes(booking_for, make_staff):
    booking = booking_for("BOX-8")
    staff = make_staff("ticketing")
    ticket_services.set_guest_list(booking_id=booking.pk, actor=staff,
                                   guests=[{"name": "Kim Early", "email": "kim@client.example"}])
    ticket_services.set_guest_list(booking_id=booking.pk, actor=staff,
                                   guests=[{"name": "Sol Later", "email": "sol@client.example"}])
    assert not Guest.objects.filter(booking=booking, email="kim@client.example").exists()
    emails = {entry.email: entry.this_season for entry in addressbook.entries(booking.buyer)}
    assert emails == {"kim@client.example": 1, "sol@client.example": 1}
