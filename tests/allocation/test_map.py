"""The inventory map: states as colour and text, HTMX click to reserve/release, flat query counts."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocation import demo, services
from allocation.models import EventUnit, StockState


def map_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_map_shows_every_state_in_words_and_a_legend(stock, make_booking, staff_client, fulfilment, make_staff):
    booking = make_booking(stock, "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    services.create_hold(event_id=stock.pk, name="Media", owner="Channel 9", actor=make_staff(), units=["CS-A1"])
    services.block_units(event_id=stock.pk, units=["CS-A2"], reason="Camera platform", actor=make_staff())

    html = staff_client("fulfilment").get("/console/allocation/events/GF2026/map/").content.decode()

    assert f'aria-label="CN-A1: reserved for {booking.reference} ({booking.buyer.name})"' in html
    assert 'aria-label="CS-A1: held — Media (Channel 9)"' in html
    assert 'aria-label="CS-A2: blocked — Camera platform"' in html
    assert 'aria-label="TABLE-01, table for 10: available"' in html
    assert 'aria-label="PARKING-C: 20 of 20 passes free"' in html
    for state in ("Available", "Held", "Reserved", "Allocated", "Comp", "Blocked"):
        assert f"{state} <strong>" in html  # legend with counts
    counts = dict(re.findall(r'class="swatch u s-(\w+)" aria-hidden="true"></span>\w+ <strong>(\d+)</strong>', html))
    assert counts["reserved"] == "2" and counts["held"] == "1" and counts["blocked"] == "1"
    assert "<button" not in html.split('id="map-form"')[1]  # nothing is clickable without a chosen booking

    services.allocate_booking(booking_id=make_booking(stock, "BOX-8", 8).pk, actor=fulfilment, units=["BOX-02"])
    html = staff_client("fulfilment").get("/console/allocation/events/GF2026/map/").content.decode()
    assert re.search(r'<span class="meta">8 guests · reserved · BK-\d{5}</span>', html)


def test_map_filters_by_area_and_kind(stock, staff_client):
    client = staff_client("fulfilment")
    north = stock.venue.areas.get(name="Club North").pk
    html = client.get(f"/console/allocation/events/GF2026/map/?area={north}").content.decode()
    assert "CN-A1" in html and "TABLE-01" not in html.split('id="map-form"')[1]
    tables = client.get("/console/allocation/events/GF2026/map/?kind=table").content.decode()
    body = tables.split('id="map-form"')[1]
    assert "TABLE-01" in body and "TABLE-01-S3" in body and "CN-A1" not in body


def test_clicking_a_unit_reserves_it_and_clicking_again_releases_it(stock, make_booking, staff_client):
    booking = make_booking(stock, "TABLE-10", 10)
    client = staff_client("fulfilment")
    page = client.get(f"/console/allocation/events/GF2026/map/?booking={booking.reference}").content.decode()
    assert 'name="unit" value="TABLE-02"' in page  # tables are clickable for a table booking
    assert 'name="unit" value="CN-A1"' not in page  # club seats are not

    response = client.post("/console/allocation/events/GF2026/map/toggle/",
                           {"booking": booking.reference, "unit": "TABLE-02", "filters": "", "area": "", "kind": ""},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"TABLE-02 reserved for {booking.reference}." in html
    stock_row = EventUnit.objects.get(unit__label="TABLE-02")
    assert stock_row.state == StockState.RESERVED and stock_row.booking == booking
    assert f'id="u-{stock_row.pk}" class="u big s-reserved mine" hx-swap-oob="true"' in html
    assert 'id="map-counts" class="state-counts" hx-swap-oob="true"' in html
    assert 'id="booking-panel" class="card booking-panel" hx-swap-oob="true"' in html

    again = client.post("/console/allocation/events/GF2026/map/toggle/",
                        {"booking": booking.reference, "unit": "TABLE-02"}, HTTP_HX_REQUEST="true")
    assert "TABLE-02 released" in again.content.decode()
    assert EventUnit.objects.get(unit__label="TABLE-02").state == StockState.AVAILABLE


def test_clicking_a_taken_unit_explains_why(stock, make_booking, staff_client, fulfilment):
    first = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=first.pk, actor=fulfilment, units=["BOX-01"])
    second = make_booking(stock, "BOX-8", 8)
    client = staff_client("fulfilment")
    response = client.post("/console/allocation/events/GF2026/map/toggle/",
                           {"booking": second.reference, "unit": "BOX-01"}, HTTP_HX_REQUEST="true")
    assert f"BOX-01 is already taken by {first.reference}." in response.content.decode()
    plain = client.post("/console/allocation/events/GF2026/map/toggle/",
                        {"booking": second.reference, "unit": "BOX-02", "filters": f"booking={second.reference}"})
    assert plain.status_code == 302 and plain["Location"].endswith(f"?booking={second.reference}")
    assert EventUnit.objects.get(unit__label="BOX-02").booking == second


def test_map_query_count_is_flat_from_a_small_layout_to_the_demo_venue(catalogue, make_booking, staff_client,
                                                                       django_assert_max_num_queries):
    """The small layout has 56 units; the demo venue 2,501 (2,000 club seats). Same number of queries."""
    from allocation.services.setup import write_layout

    from .conftest import small_layout

    small_event = catalogue["SF2026"]
    client = staff_client("fulfilment")
    write_layout(small_event.venue, small_layout())
    services.ensure_event_stock(event=small_event)
    small_booking = make_booking(small_event, "CLUB-SEAT", 2)
    small = map_queries(client, f"/console/allocation/events/SF2026/map/?booking={small_booking.reference}")

    # The demo layout on a second venue, used by GF2026.
    from eventchain.models import Venue

    venue = Venue.objects.create(name="Demo Venue")
    catalogue["GF2026"].venue = venue
    catalogue["GF2026"].save()
    write_layout(venue, demo.layout_rows())
    services.ensure_event_stock(event=catalogue["GF2026"])
    big_booking = make_booking(catalogue["GF2026"], "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=big_booking.pk, actor=None)
    assert EventUnit.objects.filter(event=catalogue["GF2026"]).count() == 2501
    with django_assert_max_num_queries(small):
        page = client.get(f"/console/allocation/events/GF2026/map/?booking={big_booking.reference}")
    assert page.status_code == 200 and page.content.decode().count('class="u seat') >= 2400
    assert small <= 12


def test_clicking_the_car_park_reserves_the_bookings_passes(stock, make_booking, staff_client):
    from allocation.models import PoolShare

    booking = make_booking(stock, "PARKING", 4)
    client = staff_client("fulfilment")
    page = client.get(f"/console/allocation/events/GF2026/map/?booking={booking.reference}").content.decode()
    assert 'name="unit" value="PARKING-C"' in page and "Click to reserve passes for" in page
    response = client.post("/console/allocation/events/GF2026/map/toggle/",
                           {"booking": booking.reference, "unit": "PARKING-C"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert PoolShare.objects.get(booking=booking).quantity == 4
    assert "16 passes free, 4 taken" in html  # the area heading is refreshed too
    again = client.post("/console/allocation/events/GF2026/map/toggle/",
                        {"booking": booking.reference, "unit": "PARKING-C"}, HTTP_HX_REQUEST="true")
    assert "released" in again.content.decode() and not PoolShare.objects.exists()
