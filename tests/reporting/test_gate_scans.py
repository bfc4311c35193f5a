"""Every gate answer, nonce replay, offline batches, and the scanner token's separation from staff tokens."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reporting.models import Attendance, GateSettings, Scan
from tickets import services as ticket_services
from tickets.models import TicketDesign

pytestmark = pytest.mark.django_db

NOW = timezone.now


def scan(client, code, *, nonce, at=None, gate="Gate A", device="handset-1"):
    body = {"code": code, "gate": gate, "device_id": device, "nonce": nonce,
            "scanned_at": (at or timezone.now()).isoformat()}
    response = client.post("/api/v1/gate/scans", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_first_scan_admits_and_returns_the_guest_and_entitlements(scanner, tickets):
    ticket = tickets[0]
    answer = scan(scanner(), ticket.code, nonce="n1")
    assert answer["result"] == "admitted"
    assert answer["ticket"]["id"] == str(ticket.pk)
    assert answer["ticket"]["guest_name"] == "Ada Lovelace"
    assert answer["ticket"]["unit"] == ticket.unit_label
    assert "Lounge access" in answer["ticket"]["entitlements"]
    attendance = Attendance.objects.get(ticket=ticket)
    assert attendance.status == "admitted" and attendance.gate == "Gate A" and attendance.admissions == 1
    stored = Scan.objects.get()
    assert (stored.result, stored.ticket_id, stored.booking_id) == ("admitted", ticket.pk, ticket.booking_id)


def test_second_scan_is_a_duplicate_naming_where_the_guest_came_in(scanner, tickets):
    client = scanner()
    scan(client, tickets[0].code, nonce="n1", gate="Gate A")
    answer = scan(client, tickets[0].code, nonce="n2", gate="Gate B")
    assert answer["result"] == "duplicate"
    assert "Gate A" in answer["message"] and answer["ticket"]["guest_name"] == "Ada Lovelace"
    assert Attendance.objects.get(ticket=tickets[0]).admissions == 1
    assert list(Scan.objects.order_by("id").values_list("result", flat=True)) == ["admitted", "duplicate"]


def test_reentry_admits_again_when_the_event_allows_it(scanner, tickets, catalogue):
    GateSettings.objects.create(event=catalogue["GF2026"], allow_reentry=True)
    client = scanner()
    scan(client, tickets[0].code, nonce="n1")
    answer = scan(client, tickets[0].code, nonce="n2")
    assert answer["result"] == "admitted" and "re-entry" in answer["message"]
    assert Attendance.objects.get(ticket=tickets[0]).admissions == 2
    assert Scan.objects.filter(reentry=True).count() == 1


def test_revoked_ticket_and_reissued_generation_answer_revoked(scanner, tickets, make_staff):
    actor = make_staff("ticketing")
    client = scanner()
    ticket_services.revoke_ticket(ticket_id=tickets[1].pk, actor=actor)
    answer = scan(client, tickets[1].code, nonce="n1")
    assert answer["result"] == "revoked" and answer["ticket"]["id"] == str(tickets[1].pk)

    old_code = tickets[2].code
    reissued = ticket_services.reissue_ticket(ticket_id=tickets[2].pk, actor=actor)
    assert scan(client, old_code, nonce="n2")["result"] == "revoked"
    assert scan(client, reissued.code, nonce="n3")["result"] == "admitted"


@pytest.mark.parametrize("garbage", ["", "hello", "EC1:" + "A" * 143, "https://example.com/ticket/1"])
def test_garbage_is_invalid_and_still_recorded(scanner, tickets, garbage):
    answer = scan(scanner(), garbage, nonce="n1")
    assert answer["result"] == "invalid" and answer["ticket"] is None
    stored = Scan.objects.get()
    assert stored.result == "invalid" and stored.message.startswith("Not a valid EventChain ticket")


def test_a_forged_signature_is_invalid(scanner, tickets):
    code = tickets[0].code
    # Change one character of the signature part: the claim still decodes, the signature does not verify.
    forged = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    answer = scan(scanner(), forged, nonce="n1")
    assert answer["result"] == "invalid" and "signature" in answer["message"]
    assert not Attendance.objects.exists()


def test_another_events_ticket_is_wrong_event(scanner, make_booking, issue):
    other = issue(make_booking("BOX-8", event_code="SF2026"))
    answer = scan(scanner("GF2026"), other[0].code, nonce="n1")
    assert answer == {"result": "wrong_event", "ticket": None, "message": answer["message"]}
    assert Scan.objects.get().result == "wrong_event"


def test_before_the_entry_window_opens_is_not_yet_valid(scanner, tickets, catalogue):
    TicketDesign.objects.create(event=catalogue["GF2026"], entry_opens_at=NOW() + timedelta(hours=2))
    answer = scan(scanner(), tickets[0].code, nonce="n1")
    assert answer["result"] == "not_yet_valid" and "Entry has not opened" in answer["message"]


def test_a_scan_before_the_code_was_valid_is_not_yet_valid(scanner, tickets):
    # Offline upload of a scan stamped before the code was issued (its valid-from).
    answer = scan(scanner(), tickets[0].code, nonce="n1", at=NOW() - timedelta(days=1))
    assert answer["result"] == "not_yet_valid"


def test_after_the_entry_window_closes_is_expired(scanner, tickets, catalogue):
    TicketDesign.objects.create(event=catalogue["GF2026"], entry_closes_at=NOW() - timedelta(minutes=1))
    assert scan(scanner(), tickets[0].code, nonce="n1")["result"] == "expired"


def test_after_the_codes_validity_is_expired(scanner, tickets, catalogue):
    client = scanner()
    with time_machine.travel(catalogue["GF2026"].ends_at + timedelta(hours=25)):
        answer = scan(client, tickets[0].code, nonce="n1")
    assert answer["result"] == "expired"


def test_a_repeated_nonce_returns_the_first_answer_and_records_nothing(scanner, tickets):
    client = scanner()
    first = scan(client, tickets[0].code, nonce="same")
    again = scan(client, tickets[0].code, nonce="same")
    other_code = scan(client, tickets[1].code, nonce="same")
    assert first["result"] == "admitted" and again == first and other_code == first
    assert Scan.objects.count() == 1
    assert not Attendance.objects.filter(ticket=tickets[1]).exists()
    # The nonce is per device: another handset may use the same one.
    assert scan(client, tickets[1].code, nonce="same", device="handset-2")["result"] == "admitted"


@time_machine.travel(NOW() + timedelta(hours=1), tick=True)
def test_batch_answers_in_order_and_admits_the_earliest_scan(scanner, tickets):
    now = NOW()  # the body runs an hour after the fixture issued the codes
    scans = [
        {"code": tickets[0].code, "gate": "Gate A", "device_id": "h1", "nonce": "b1",
         "scanned_at": (now - timedelta(minutes=1)).isoformat()},
        {"code": tickets[0].code, "gate": "Gate A", "device_id": "h1", "nonce": "b2",
         "scanned_at": (now - timedelta(minutes=5)).isoformat()},
        {"code": "junk", "gate": "Gate A", "device_id": "h1", "nonce": "b3", "scanned_at": now.isoformat()},
        {"code": tickets[1].code, "gate": "Gate A", "device_id": "h1", "nonce": "b4", "scanned_at": now.isoformat()},
    ]
    client = scanner()
    response = client.post("/api/v1/gate/scans/batch", json.dumps({"scans": scans}), content_type="application/json")
    assert response.status_code == 200, response.content
    results = [answer["result"] for answer in response.json()["results"]]
    assert results == ["duplicate", "admitted", "invalid", "admitted"]
    attendance = Attendance.objects.get(ticket=tickets[0])
    assert abs(attendance.first_admitted_at - (now - timedelta(minutes=5))) < timedelta(seconds=1)
    # An upload retried after a lost answer changes nothing.
    again = client.post("/api/v1/gate/scans/batch", json.dumps({"scans": scans}), content_type="application/json")
    assert [a["result"] for a in again.json()["results"]] == results
    assert Scan.objects.count() == 4


def test_scan_validation_names_the_field(scanner, tickets):
    body = {"code": tickets[0].code, "gate": "A", "device_id": "h1", "nonce": "n1", "scanned_at": "2026-12-01T14:00:00"}
    response = scanner().post("/api/v1/gate/scans", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scanned_at"
    assert not Scan.objects.exists()


def test_gate_and_staff_tokens_do_not_open_each_others_api(scanner, api, tickets, gate_token, catalogue):
    body = json.dumps({"code": tickets[0].code, "gate": "A", "device_id": "h1", "nonce": "n1",
                       "scanned_at": NOW().isoformat()})
    staff = api("admin")
    assert staff.post("/api/v1/gate/scans", body, content_type="application/json").status_code == 401
    assert staff.get("/api/v1/events/GF2026/report").status_code == 200
    gate = scanner()
    assert gate.get("/api/v1/events/GF2026/report").status_code == 401
    assert gate.get(f"/api/v1/bookings/{tickets[0].booking_id}/tickets").status_code == 401
    assert not Scan.objects.exists()


def test_a_revoked_scanner_token_is_refused(client, tickets, catalogue):
    from reporting.gate import devices

    device, raw = devices.create_gate_device(actor=None, event_code="GF2026", gate="Gate A")
    devices.revoke_gate_device(actor=None, device_id=device.pk)
    body = json.dumps({"code": tickets[0].code, "gate": "A", "device_id": "h1", "nonce": "n1",
                       "scanned_at": NOW().isoformat()})
    response = client.post("/api/v1/gate/scans", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_the_device_gets_its_events_gate_bundle(scanner, tickets, make_staff):
    ticket_services.revoke_ticket(ticket_id=tickets[0].pk, actor=make_staff("ticketing"))
    response = scanner().get("/api/v1/gate/bundle")
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["event"] == "GF2026" and bundle["gate"] == "Gate A" and bundle["public_keys"]
    assert {"ticket": str(tickets[0].pk), "generation": 1} in bundle["revoked"]


def test_scanners_read_the_contract_gate_bundle_of_their_own_event_only(scanner, tickets, make_staff, api):
    ticket_services.revoke_ticket(ticket_id=tickets[0].pk, actor=make_staff("ticketing"))
    device = scanner()
    bundle = device.get("/api/v1/events/GF2026/gate-bundle")
    assert bundle.status_code == 200
    assert {"ticket": str(tickets[0].pk), "generation": 1} in bundle.json()["revoked"]
    assert device.get("/api/v1/events/SF2026/gate-bundle").status_code == 404
    assert api("ticketing").get("/api/v1/events/GF2026/gate-bundle").status_code == 200
    assert api("sales").get("/api/v1/events/GF2026/gate-bundle").status_code == 403
    assert device.get("/api/v1/bookings/1").status_code == 401, "a scanner token opens no staff endpoint"


def test_the_gate_and_report_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/gate/scans", "/api/v1/gate/scans/batch", "/api/v1/gate/bundle",
            "/api/v1/events/{code}/report", "/api/v1/bookings/{booking_id}/report"} <= set(paths)
