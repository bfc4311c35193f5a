"""The portal booking page shows one page of tickets: its queries do not grow with the booking, search and
paging work over htmx (the table alone) and without it, and the names summary counts the whole booking."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buyers.models import Contact
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
HTMX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ticket-table"}


@pytest.fixture
def signed_in(booking_for, portal_client):
    def make(**kwargs):
        booking = booking_for("BOX-8", **kwargs)
        return booking, portal_client(Contact.objects.get(buyer=booking.buyer, is_primary=True))

    return make


def grow_to(booking, total: int) -> None:
    """Bulk-made copies of the booking's first ticket, so a booking holds `total` tickets."""
    first = Ticket.objects.filter(booking=booking).order_by("id").first()
    have = Ticket.objects.filter(booking=booking).count()
    copies = []
    for n in range(total - have):
        copy = Ticket.objects.get(pk=first.pk)
        copy.pk, copy.guest_id, copy.code = None, None, ""
        position = have + n
        copy.number, copy.seat_index, copy.seat_label = f"GROW-{position:05d}", 1000 + position, "Extra"
        copies.append(copy)
    Ticket.objects.bulk_create(copies)


def page_queries(portal, url: str, **headers) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as captured:
        response = portal.get(url, **headers)
    assert response.status_code == 200
    return len(captured), response.content


def test_booking_page_queries_are_the_same_for_ten_and_a_thousand_tickets(signed_in):
    booking, portal = signed_in(guests=2)
    grow_to(booking, 10)
    url = f"/portal/bookings/{booking.pk}/"
    small, small_page = page_queries(portal, url)
    grow_to(booking, 1000)
    large, large_page = page_queries(portal, url)
    assert small == large, f"{small} queries for 10 tickets, {large} for 1,000"
    assert large_page.count(b'class="assign-form"') == 25 and small_page.count(b'class="assign-form"') == 10
    assert b"1\xe2\x80\x9325 of 1000" in large_page and b"Page 1 of 40" in large_page
    # the names summary counts the booking's guests and headcount, not the rows on the page
    assert f"{booking.headcount - 2} of {booking.headcount} names missing".encode() in large_page
    htmx, table = page_queries(portal, url + "?page=40", **HTMX_TABLE)
    assert htmx <= large and b"<html" not in table and b"GROW-00999" in table and b"Page 40 of 40" in table


def test_ticket_search_and_empty_result(signed_in):
    booking, portal = signed_in(guests=2)
    grow_to(booking, 300)
    url = f"/portal/bookings/{booking.pk}/"
    found = portal.get(url, {"q": "GROW-00250"}, **HTMX_TABLE)
    assert found.status_code == 200 and b"GROW-00250" in found.content and b"<html" not in found.content
    assert found.content.count(b'class="assign-form"') == 1
    named = portal.get(url, {"q": "Guest 2"})
    assert b"<html" in named.content and named.content.count(b'class="assign-form"') == 1
    none = portal.get(url, {"q": "no such ticket"}, **HTMX_TABLE)
    assert b"No tickets match" in none.content and b'class="assign-form"' not in none.content


def test_a_booking_with_hundreds_of_named_guests_pages_them_and_offers_only_guests_without_a_ticket(signed_in):
    from tickets.models import Guest

    booking, portal = signed_in(guests=2)
    grow_to(booking, 300)
    url = f"/portal/bookings/{booking.pk}/"
    few, _ = page_queries(portal, url)
    Guest.objects.bulk_create(Guest(booking=booking, position=n, name=f"Named {n:03d}") for n in range(3, 253))
    named = list(Guest.objects.filter(booking=booking, position__gte=3).order_by("position")[:120])
    for ticket, guest in zip(Ticket.objects.filter(booking=booking, guest__isnull=True).order_by("id"), named,
                             strict=False):
        Ticket.objects.filter(pk=ticket.pk).update(guest=guest)

    many, page = page_queries(portal, url)
    assert many == few, f"{few} queries with 2 guests, {many} with 252"
    assert page.count(b'<tr id="guest-') == 25 and b"1\xe2\x80\x9325 of 252" in page
    assert b"gpage=2#guests" in page
    # Every row offers at most the 100 first guests without a ticket (130 wait), plus its own guest.
    assert page.count(b"<option") <= 25 * (1 + 1 + 100) + 10
    # Named 003–122 hold tickets beyond this page of tickets: offered nowhere; Named 123 is offered in every row.
    assert page.count(b">Named 123<") == 25 and b">Named 122<" not in page
    assert b"The first 100 guests without a ticket are listed" in page
    later = portal.get(url, {"gpage": 2}).content
    assert b'<tr id="guest-' in later and b"Named 026" in later and b"26\xe2\x80\x9350 of 252" in later
