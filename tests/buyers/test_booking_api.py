"""GET /api/v1/bookings/{id} has the contract shape; unknown or malformed ids are 404; a role is needed."""

from django.test import Client


def test_booking_read_has_the_contract_shape(api, buyer_setup):
    _, buyer, booking = buyer_setup()
    response = api("finance").get(f"/api/v1/bookings/{booking.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(booking.pk), "buyer": {"id": str(buyer.pk), "name": "Harbour Bank"}, "event_code": "GF2026",
        "package_code": "TABLE-10", "headcount": 25, "status": "draft", "po_number": "PO-1",
        "special_requirements": "",
    }


def test_unknown_and_non_numeric_ids_are_404(api, catalogue):
    client = api("sales")
    for booking_id in ("999999", "BK-00001", "12abc", "9" * 30):
        response = client.get(f"/api/v1/bookings/{id}")
        assert response.status_code == 404
        assert response.json()["errors"][0]["field"] is None


def test_a_token_is_required(buyer_setup):
    _, _, booking = buyer_setup()
    assert Client().get(f"/api/v1/bookings/{booking.pk}").status_code == 401


def test_openapi_documents_the_handoff_body_without_a_bearer_requirement(client):
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/crm/handoff"]["post"]
    assert not operation.get("security")
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "deal_id" in body["required"] and "payment_schedule" in body["properties"]["booking"]["properties"]
    assert spec["paths"]["/api/v1/bookings/{id}"]["get"]["security"]
