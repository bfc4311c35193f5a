"""Scanner tokens from the console and the command, the exception desk, and the gate page."""

import io

import pytest
from django.core.management import call_command

from reporting.gate import devices
from reporting.models import GateDevice, GateSettings, Scan

pytestmark = pytest.mark.django_db


def test_create_gate_token_prints_only_the_token(catalogue):
    out = io.StringIO()
    call_command("create_gate_token", "--event", "GF2026", "--gate", "Gate A", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("ecg_") and len(token.split()) == 1 and out.getvalue().count("\n") == 1
    device = devices.authenticate(token)
    assert device is not None and device.gate == "Gate A" and device.event.code == "GF2026"
    assert GateDevice.objects.get().token_hash != token  # stored hashed


def test_create_gate_token_refuses_an_unknown_event(catalogue):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No event has the code"):
        call_command("create_gate_token", "--event", "NOPE", "--gate", "A", stdout=io.StringIO())


def test_console_creates_a_token_shown_once_and_revokes_it(staff_client, catalogue):
    client = staff_client("ticketing")
    response = client.post("/console/reporting/events/GF2026/gate/devices/", {"gate": "Members entrance"})
    assert response.status_code == 200
    body = response.content.decode()
    device = GateDevice.objects.get()
    assert "Copy this scanner token now" in body and f"{device.prefix}" in body
    assert client.get("/console/reporting/events/GF2026/gate/").content.decode().count("Copy this scanner token") == 0
    response = client.post(f"/console/reporting/events/GF2026/gate/devices/{device.pk}/revoke/")
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_console_token_needs_a_gate_name(staff_client, catalogue):
    response = staff_client("ticketing").post("/console/reporting/events/GF2026/gate/devices/", {"gate": " "})
    assert response.status_code == 422 and "Name the gate" in response.content.decode()
    assert not GateDevice.objects.exists()


def test_gate_pages_need_the_gate_capability(staff_client, catalogue):
    assert staff_client("sales").get("/console/reporting/events/GF2026/gate/").status_code == 403
    assert staff_client("sales").get("/console/reporting/events/GF2026/desk/").status_code == 403


def test_desk_answers_in_big_colours_and_words(staff_client, tickets):
    client = staff_client("ticketing")
    page = client.get("/console/reporting/events/GF2026/desk/")
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    first = client.post("/console/reporting/events/GF2026/desk/", {"code": tickets[0].code, "gate": "Desk 1"},
                        HTTP_HX_REQUEST="true")
    html = first.content.decode()
    assert first.status_code == 200 and "<html" not in html
    assert 'class="verdict ok"' in html and "Admitted" in html and "Ada Lovelace" in html and "Lounge access" in html
    second = client.post("/console/reporting/events/GF2026/desk/", {"code": tickets[0].code}, HTTP_HX_REQUEST="true")
    assert 'class="verdict warn"' in second.content.decode() and "Already admitted" in second.content.decode()
    bad = client.post("/console/reporting/events/GF2026/desk/", {"code": "not a ticket"})
    assert 'class="verdict bad"' in bad.content.decode() and "<html" in bad.content.decode()
    stored = list(Scan.objects.order_by("id").values_list("source", "result", "gate"))
    assert stored == [("desk", "admitted", "Desk 1"), ("desk", "duplicate", "Exception desk"),
                      ("desk", "invalid", "Exception desk")]


def test_desk_asks_for_a_code(staff_client, catalogue):
    response = staff_client("ticketing").post("/console/reporting/events/GF2026/desk/", {"code": ""})
    assert response.status_code == 422 and "Type or paste" in response.content.decode()


def test_gate_page_lists_scans_and_saves_rules(staff_client, tickets, scanner, django_assert_max_num_queries):
    import json

    from django.utils import timezone

    client = scanner()
    for n, ticket in enumerate(tickets[:3]):
        client.post("/api/v1/gate/scans", json.dumps({"code": ticket.code, "gate": "Gate A", "device_id": "h",
                                                      "nonce": f"n{n}", "scanned_at": timezone.now().isoformat()}),
                    content_type="application/json")
    staff = staff_client("ticketing")
    with django_assert_max_num_queries(16):
        page = staff.get("/console/reporting/events/GF2026/gate/")
    body = page.content.decode()
    assert page.status_code == 200 and "Ada Lovelace" in body and "Gate A" in body
    partial = staff.get("/console/reporting/events/GF2026/gate/?result=admitted", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and tickets[0].number in partial.content.decode()
    staff.post("/console/reporting/events/GF2026/gate/settings/", {"allow_reentry": "on"})
    assert GateSettings.objects.get().allow_reentry is True
