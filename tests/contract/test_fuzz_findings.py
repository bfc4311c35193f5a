"""What Schemathesis found, pinned as plain tests: each answered 500 before it was fixed."""

import json

import pytest
from django.conf import settings
from django.test import Client

from buyers import webhook


@pytest.mark.django_db
def test_a_handoff_with_a_nul_character_is_a_field_error_not_a_database_failure():
    body = json.dumps({"deal_id": "D-1", "account": {"name": "Acme\u0000 Mining"}}).encode()
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v
               for k, v in webhook.signed_headers(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, body).items()}
    response = Client().post("/api/v1/crm/handoff", body, content_type="application/json", **headers)
    assert response.status_code == 422, response.content
    assert any("NUL" in error["message"] for error in response.json()["errors"])


@pytest.mark.django_db
@pytest.mark.parametrize("signed", [True, False])
def test_a_nul_in_the_deal_id_is_refused_even_before_the_signature_is_checked(signed):
    # The delivery row (with its deal id, for the list) is stored before the body is checked.
    body = json.dumps({"deal_id": "D-\u0000-\ud800", "account": {"name": "Acme"}}).encode()
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v
               for k, v in webhook.signed_headers(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, body).items()} \
        if signed else {}
    response = Client().post("/api/v1/crm/handoff", body, content_type="application/json", **headers)
    assert response.status_code == (422 if signed else 401), response.content
    assert response.json()["errors"][0]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b'{"deal_id": ' + b"9" * 5000 + b"}", b"[" * 100_000 + b"]" * 100_000])
def test_a_body_json_cannot_hold_is_a_422(body):
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v
               for k, v in webhook.signed_headers(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, body).items()}
    response = Client().post("/api/v1/crm/handoff", body, content_type="application/json", **headers)
    assert response.status_code == 422, response.content
    assert "not valid JSON" in response.json()["errors"][0]["message"]

@pytest.mark.django_db
def test_an_oversized_api_body_is_refused_with_413_in_the_error_shape(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"scans": [{"code": "X" * 2000}]})
    response = api("admin").put("/api/v1/bookings/1/guests", body, content_type="application/json")
    assert response.status_code == 413
    assert "over 1000 bytes" in response.json()["errors"][0]["message"]


def test_scan_times_with_any_iso_offset_are_stored_as_utc():
    from reporting.gate.api import ScanIn

    scan = ScanIn(code="EC1:X", device_id="d", nonce="n", scanned_at="1767-11-03T20:18:13-21:36")
    assert scan.scanned_at.utcoffset().total_seconds() == 0
    with pytest.raises(ValueError, match="out of range"):
        ScanIn(code="EC1:X", device_id="d", nonce="n", scanned_at="9999-12-31T23:00:00-05:00")
