"""POST /api/v1/bookings/{id}/allocate and /confirm-allocation: shapes, 409, 422, 403, 404."""

import json

from buyers.models import Booking
from eventchain.lifecycle import BookingStatus


def post(client, url, body=None):
    """POST JSON; with no body at all when `body` is None (the body is optional)."""
    if body is None:
        return client.generic("POST", url, b"")
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_allocate_by_rules_answers_units_comps_and_notes(stock, make_booking, api, make_staff):
    from allocation import services

    club = stock.packages.get(code="CLUB-SEAT")
    services.save_comp_rule(event_id=stock.pk, package_id=club.pk, every=2, quantity=1, actor=make_staff())
    booking = make_booking(stock, "CLUB-SEAT", 2)

    response = post(api("fulfilment"), f"/api/v1/bookings/{booking.pk}/allocate")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "allocated"
    assert body["units"] == [
        {"id": body["units"][0]["id"], "label": "CN-A1", "kind": "seat", "area": "Club North", "seats": 1,
         "reason": None},
        {"id": body["units"][1]["id"], "label": "CN-A2", "kind": "seat", "area": "Club North", "seats": 1,
         "reason": None},
    ]
    assert [c["label"] for c in body["comps"]] == ["CN-A3"]
    assert body["comps"][0]["reason"] == "1 CLUB-SEAT comp per 2 paid CLUB-SEAT"
    assert body["notes"][0].startswith("3 seats side by side in Club North")
    assert any("comp" in note for note in body["notes"])


def test_allocate_named_units_by_reference_path(stock, make_booking, api):
    booking = make_booking(stock, "TABLE-10", 10)
    response = post(api("fulfilment"), f"/api/v1/bookings/{booking.reference}/allocate", {"units": ["TABLE-02"]})
    assert response.status_code == 200, response.content
    assert [u["label"] for u in response.json()["units"]] == ["TABLE-02"]
    assert response.json()["units"][0]["seats"] == 10


def test_allocate_409_when_stock_cannot_cover(stock, make_booking, api):
    booking = make_booking(stock, "BOX-8", 40)
    response = post(api("fulfilment"), f"/api/v1/bookings/{booking.pk}/allocate", {})
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["field"] is None and "stays unallocated" in error["message"] and "Short by 2 boxes" in error["message"]


def test_allocate_409_for_a_unit_someone_else_holds(stock, make_booking, api):
    first, second = make_booking(stock, "BOX-8", 8), make_booking(stock, "BOX-8", 8)
    client = api("fulfilment")
    assert post(client, f"/api/v1/bookings/{first.pk}/allocate", {"units": ["BOX-01"]}).status_code == 200
    response = post(client, f"/api/v1/bookings/{second.pk}/allocate", {"units": ["BOX-01"]})
    assert response.status_code == 409
    assert response.json()["errors"][0]["message"] == f"BOX-01 is already taken by {first.reference}."


def test_allocate_422_names_the_bad_unit_and_fields(stock, make_booking, api):
    booking = make_booking(stock, "BOX-8", 8)
    client = api("fulfilment")
    response = post(client, f"/api/v1/bookings/{booking.pk}/allocate", {"units": ["BOX-01", "NOPE-1"]})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "units.1", "message": "Riverside Stadium has no unit 'NOPE-1' for GF2026"}]
    response = post(client, f"/api/v1/bookings/{booking.pk}/allocate", {"units": "BOX-01"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "units"


def test_allocate_404_and_403(stock, make_booking, api):
    booking = make_booking(stock, "BOX-8", 8)
    assert post(api("fulfilment"), "/api/v1/bookings/999999/allocate").status_code == 404
    refused = post(api("sales"), f"/api/v1/bookings/{booking.pk}/allocate")
    assert refused.status_code == 403
    assert "allocate" in refused.json()["errors"][0]["message"].lower()
    assert post(api("sales"), f"/api/v1/bookings/{booking.pk}/confirm-allocation").status_code == 403
    assert post(api("finance"), f"/api/v1/bookings/{booking.pk}/allocate").status_code == 403


def test_confirm_answers_the_manifest_and_a_null_invoice_without_finance(stock, make_booking, api):
    booking = make_booking(stock, "BOX-8", 8)
    client = api("fulfilment")
    post(client, f"/api/v1/bookings/{booking.pk}/allocate")
    response = post(client, f"/api/v1/bookings/{booking.pk}/confirm-allocation")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["invoice"] is None
    assert body["manifest"]["version"] == 1 and isinstance(body["manifest"]["id"], str)
    assert body["manifest"]["lines"] == [{
        "unit_id": body["manifest"]["lines"][0]["unit_id"], "unit": "BOX-01", "kind": "box", "area": "Private Boxes",
        "seats": 8, "quantity": 1, "package": "BOX-8", "unit_price": "14400.00", "comp": False}]
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.ALLOCATED
    again = post(client, f"/api/v1/bookings/{booking.pk}/confirm-allocation")
    assert again.status_code == 409 and "Nothing changed since manifest v1" in again.json()["errors"][0]["message"]


def test_confirm_reports_the_invoice_finance_raises(stock, make_booking, api, with_later_lanes):
    booking = make_booking(stock, "BOX-8", 8)
    client = api("admin")
    post(client, f"/api/v1/bookings/{booking.pk}/allocate")
    response = post(client, f"/api/v1/bookings/{booking.pk}/confirm-allocation")
    assert response.status_code == 200, response.content
    assert isinstance(response.json()["invoice"], str)
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.INVOICED


def test_confirm_409_without_stock(stock, make_booking, api):
    booking = make_booking(stock, "BOX-8", 8)
    response = post(api("fulfilment"), f"/api/v1/bookings/{booking.pk}/confirm-allocation")
    assert response.status_code == 409 and "holds no stock yet" in response.json()["errors"][0]["message"]


def test_read_allocation_lists_units_and_notes(stock, make_booking, api):
    booking = make_booking(stock, "PARKING", 3)
    client = api("fulfilment")
    post(client, f"/api/v1/bookings/{booking.pk}/allocate")
    body = client.get(f"/api/v1/bookings/{booking.pk}/allocation").json()
    assert body["status"] == "allocated"
    assert body["units"][0]["label"] == "PARKING-C" and body["units"][0]["seats"] == 3
    assert body["notes"] == ["3 passes from pool PARKING-C."]


def test_operations_are_in_the_openapi_document(api):
    paths = api("admin").get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/bookings/{booking_id}/allocate"]
    assert "post" in paths["/api/v1/bookings/{booking_id}/confirm-allocation"]
