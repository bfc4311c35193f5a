"""Console pages: the queue, a booking's allocation, the manual form, rules, permissions."""

from allocation import services
from allocation.models import CompRule, EventUnit, Hold, OverflowRule, StockState
from eventchain.lifecycle import BookingStatus


def test_queue_lists_bookings_by_stage(stock, make_booking, staff_client, fulfilment):
    waiting = make_booking(stock, "BOX-8", 8)
    reserved = make_booking(stock, "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=reserved.pk, actor=fulfilment)
    make_booking(stock, "BOX-8", 8, status=BookingStatus.DRAFT)
    client = staff_client("fulfilment")

    def row(booking):
        return f"<strong>{booking.reference}</strong>"

    awaiting = client.get("/console/allocation/").content.decode()
    assert row(waiting) in awaiting and row(reserved) not in awaiting
    assert "Allocate by rules" in awaiting
    to_confirm = client.get("/console/allocation/?tab=reserved").content.decode()
    assert row(reserved) in to_confirm and row(waiting) not in to_confirm
    assert client.get(f"/console/allocation/?q={waiting.reference}").content.decode().count("<tr>") == 2
    assert "No bookings match" in client.get("/console/allocation/?q=nobody").content.decode()


def test_queue_shows_the_shortage_message(stock, make_booking, staff_client):
    booking = make_booking(stock, "BOX-8", 40)
    client = staff_client("fulfilment")
    response = client.post(f"/console/allocation/bookings/{booking.pk}/allocate/", {})
    assert response.status_code == 302
    html = client.get("/console/allocation/").content.decode()
    assert "Stock short" in html and "Short by 2 boxes" in html


def test_sales_cannot_use_allocation(stock, make_booking, staff_client):
    booking = make_booking(stock, "BOX-8", 8)
    sales = staff_client("sales")
    assert sales.get("/console/allocation/").status_code == 403
    assert sales.post(f"/console/allocation/bookings/{booking.pk}/allocate/").status_code == 403
    assert sales.get("/console/allocation/events/GF2026/map/").status_code == 403
    assert not EventUnit.objects.filter(booking=booking).exists()
    assert staff_client(None).get("/console/allocation/").status_code == 403
    # Allocation shows in the lane navigation only for roles that may allocate.
    assert 'href="/console/allocation/"' in staff_client("fulfilment").get("/console/").content.decode()
    assert 'href="/console/allocation/"' not in sales.get("/console/").content.decode()


def test_booking_page_allocate_confirm_and_see_notes(stock, make_booking, staff_client):
    booking = make_booking(stock, "CLUB-SEAT", 3)
    client = staff_client("fulfilment")
    page = client.get(f"/console/allocation/bookings/{booking.pk}/").content.decode()
    assert "No stock held." in page and "Allocate by the event’s rules" in page

    client.post(f"/console/allocation/bookings/{booking.pk}/allocate/", {"preferred_area": "", "units": ""})
    page = client.get(f"/console/allocation/bookings/{booking.pk}/").content.decode()
    assert "CN-A1" in page and "reserved, not confirmed" in page and "3 seats side by side in Club North" in page

    response = client.post(f"/console/allocation/bookings/{booking.pk}/confirm/")
    assert response.status_code == 302 and response["Location"].endswith(f"/bookings/{booking.pk}/manifests/1/")
    manifest_page = client.get(response["Location"]).content.decode()
    assert "Manifest v1" in manifest_page and "1950.00" in manifest_page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ALLOCATED


def test_booking_page_comp_amend_and_cancel(stock, make_booking, staff_client, fulfilment):
    booking = make_booking(stock, "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)
    client = staff_client("fulfilment")
    base = f"/console/allocation/bookings/{booking.pk}"

    client.post(f"{base}/comp/", {"quantity": 1, "reason": "Sponsor's guest", "units": ""})
    assert EventUnit.objects.filter(booking=booking, state=StockState.COMP).count() == 1
    response = client.post(f"{base}/amend/", {"add": "CN-B1", "remove": "CN-A1", "reason": "Swap"})
    assert response["Location"].endswith("/manifests/2/")
    client.post(f"{base}/cancel/", {"reason": "Client withdrew"})
    assert not EventUnit.objects.filter(booking=booking).exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_manual_form_allocates_by_reference_and_shows_errors_inline(stock, make_booking, staff_client):
    booking = make_booking(stock, "BOX-8", 8)
    client = staff_client("fulfilment")
    bad = client.post("/console/allocation/allocate/", {"booking": booking.reference, "units": "BOX-77"})
    assert bad.status_code == 422 and "has no unit &#x27;BOX-77&#x27;" in bad.content.decode()
    ok = client.post("/console/allocation/allocate/", {"booking": booking.reference, "units": "box-03"})
    assert ok.status_code == 302
    assert EventUnit.objects.get(booking=booking).unit.label == "BOX-03"


def test_rules_page_configures_comps_overflow_holds_and_blocks(stock, staff_client):
    client = staff_client("fulfilment")
    url = "/console/allocation/events/GF2026/rules/"
    club = stock.packages.get(code="CLUB-SEAT")
    areas = {a.name: a.pk for a in stock.venue.areas.all()}

    client.post(url, {"action": "comp", "package": club.pk, "every": 10, "quantity": 1, "comp_package": ""})
    client.post(url, {"action": "overflow", "area": areas["Club South"], "fallback": areas["Club North"]})
    client.post(url, {"action": "hold", "name": "Media", "owner": "Channel 9", "units": "CS-A1, CS-A2",
                      "passes": "PARKING-C: 4", "expires_at": "2099-01-01T18:00"})
    client.post(url, {"action": "block", "units": "CN-B6", "reason": "Broken seat"})

    rule = CompRule.objects.get()
    assert (rule.package, rule.every, rule.quantity, rule.comp_package) == (club, 10, 1, None)
    assert OverflowRule.objects.get().fallback_id == areas["Club North"]
    hold = Hold.objects.get()
    assert hold.units.count() == 2 and hold.pool_shares.get().quantity == 4
    assert hold.expires_at.isoformat() == "2099-01-01T07:00:00+00:00"  # entered in Sydney time (AEDT)
    assert EventUnit.objects.get(unit__label="CN-B6").note == "Broken seat"
    page = client.get(url).content.decode()
    assert "Media" in page and "Channel 9" in page and "Broken seat" in page and "Club South" in page

    bad = client.post(url, {"action": "hold", "name": "", "owner": "x", "units": "CS-A3"})
    assert bad.status_code == 422 and "This field is required" in bad.content.decode()
    client.post(url, {"action": "hold-release", "hold": hold.pk})
    assert EventUnit.objects.filter(state=StockState.HELD).count() == 0


def test_events_page_lists_stock_per_event(stock, staff_client):
    html = staff_client("fulfilment").get("/console/allocation/events/").content.decode()
    assert "GF2026" in html and "Inventory map" in html
