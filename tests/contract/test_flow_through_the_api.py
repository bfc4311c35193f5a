"""The whole flow through the public API only, the way a CRM, staff scripts and a gate scanner use it.

Each step checks the shapes `../shared/API.md` promises; the run uses real commits (Celery runs
eagerly after each one, as in a single-process deployment) and a real SMTP server on loopback.
"""

import hashlib
import hmac
import io
import json
import time
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

HANDOFF = {
    "deal_id": "CRM-DEAL-1042",
    "agent": {"email": "sales1@example.com", "name": "Sam Sales"},
    "account": {"name": "Acme Mining Pty Ltd", "crm_account_id": "ACC-77"},
    "billing_entity": {"legal_name": "Acme Mining Pty Ltd", "tax_number": "51 824 753 556",
                       "email": "accounts@acme.example",
                       "address": {"line1": "1 George St", "line2": "", "city": "Sydney", "region": "NSW",
                                   "postcode": "2000", "country": "AU"}},
    "contacts": [{"name": "Pat Buyer", "email": "pat@acme.example", "phone": "+61 2 5550 1234",
                  "role": "Event coordinator", "primary": True}],
    "booking": {"event_code": "GF2026", "package_code": "TABLE-10", "headcount": 10,
                "special_requirements": "2 vegetarian, 1 wheelchair space", "po_number": "PO-5531",
                "payment_schedule": [{"label": "Deposit", "due_date": "2026-12-01", "percent": "30"},
                                     {"label": "Balance", "due_date": "2027-01-15", "percent": "70"}]},
}


def signed_handoff(client: Client, body: dict):
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET.encode(), stamp.encode() + b"." + raw,
                         hashlib.sha256).hexdigest()
    return client.post("/api/v1/crm/handoff", raw, content_type="application/json",
                       HTTP_X_EVENTCHAIN_TIMESTAMP=stamp, HTTP_X_EVENTCHAIN_SIGNATURE=f"sha256={signature}")


def token_for(email: str) -> Client:
    out = io.StringIO()
    call_command("create_api_token", "--user", email, "--name", f"contract {email}", stdout=out)
    return Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


def post(client: Client, path: str, body=None):
    return client.post(path, json.dumps(body if body is not None else {}), content_type="application/json")


def finished(client: Client, job_id: str) -> dict:
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert set(job) >= {"id", "status", "done", "total", "errors"}
    assert job["status"] == "done", job
    return job


def test_crm_to_gate_through_the_public_api(smtp):
    call_command("seed_demo")
    fulfilment, finance = token_for("fulfilment@example.com"), token_for("finance@example.com")
    ticketing, reporting = token_for("ticketing@example.com"), token_for("reporting@example.com")

    # Lane 02: the CRM hands over a converted deal; a repeat is a duplicate.
    created = signed_handoff(Client(), HANDOFF)
    assert created.status_code == 201, created.content
    ids = created.json()
    assert ids["status"] == "created"
    again = signed_handoff(Client(), HANDOFF).json()
    assert again == {**ids, "status": "duplicate"}
    booking_id = ids["booking"]
    booking = fulfilment.get(f"/api/v1/bookings/{booking_id}").json()
    assert set(booking) >= {"id", "buyer", "event_code", "package_code", "headcount", "status", "po_number",
                            "special_requirements"}
    assert booking["status"] == "confirmed" and booking["buyer"]["id"] == ids["buyer"]

    # Lane 03: allocate by the event's rules, then lock the manifest (finance raises the invoice).
    allocated = post(fulfilment, f"/api/v1/bookings/{booking_id}/allocate")
    assert allocated.status_code == 200, allocated.content
    body = allocated.json()
    assert body["status"] == "allocated" and {"units", "comps", "notes"} <= set(body)
    assert sum(unit["seats"] for unit in body["units"]) == 10
    assert set(body["units"][0]) >= {"id", "label", "kind", "area", "seats"}
    confirmed = post(fulfilment, f"/api/v1/bookings/{booking_id}/confirm-allocation")
    assert confirmed.status_code == 200, confirmed.content
    manifest, invoice_id = confirmed.json()["manifest"], confirmed.json()["invoice"]
    assert {"id", "version", "lines"} <= set(manifest) and manifest["version"] == 1 and invoice_id
    assert fulfilment.get(f"/api/v1/bookings/{booking_id}").json()["status"] == "invoiced"

    # Lane 04: the tax invoice, paid in two parts; the booking is released on full payment.
    invoice = finance.get(f"/api/v1/invoices/{invoice_id}").json()
    assert set(invoice) >= {"id", "number", "status", "currency", "subtotal", "tax", "total", "amount_due", "lines",
                            "ledger"}
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("9500.00", "950.00", "10450.00")
    assert invoice["ledger"]["backend"] == "local"
    deposit = post(finance, f"/api/v1/invoices/{invoice_id}/payments",
                   {"amount": "3135.00", "date": str(timezone.localdate()), "reference": "EFT 8812"})
    assert deposit.status_code == 201, deposit.content
    assert deposit.json()["invoice"]["amount_due"] == "7315.00"
    assert fulfilment.get(f"/api/v1/bookings/{booking_id}").json()["status"] == "invoiced"
    balance = post(finance, f"/api/v1/invoices/{invoice_id}/payments",
                   {"amount": "7315.00", "date": str(timezone.localdate()), "reference": "EFT 8890"})
    assert balance.json()["invoice"]["status"] == "paid"
    assert fulfilment.get(f"/api/v1/bookings/{booking_id}").json()["status"] == "released"

    # Lane 05: name the guests, issue one ticket per pass.
    guests = [{"name": f"Guest {n}", "email": f"guest{n}@acme.example"} for n in range(1, 11)]
    named = ticketing.put(f"/api/v1/bookings/{booking_id}/guests", json.dumps(guests),
                          content_type="application/json")
    assert named.status_code == 200 and len(named.json()["guests"]) == 10
    issuing = post(ticketing, f"/api/v1/bookings/{booking_id}/issue-tickets")
    assert issuing.status_code == 202
    finished(ticketing, issuing.json()["job"])
    tickets = ticketing.get(f"/api/v1/bookings/{booking_id}/tickets").json()["results"]
    assert len(tickets) == 10 and all(t["code"].startswith("EC1:") for t in tickets)
    assert set(tickets[0]) >= {"id", "code", "status", "guest", "unit", "pdf_url", "pkpass_url", "google_save_url",
                               "generation"}
    assert tickets[0]["pdf_url"].startswith(settings.EVENTCHAIN_BASE_URL)
    pdf = ticketing.get(tickets[0]["pdf_url"].removeprefix(settings.EVENTCHAIN_BASE_URL))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert Client().get(tickets[0]["pdf_url"].removeprefix(settings.EVENTCHAIN_BASE_URL)).status_code == 404

    # Lane 06: one email per guest.
    sending = post(ticketing, f"/api/v1/bookings/{booking_id}/distribute", {"mode": "direct_to_guest"})
    assert sending.status_code == 202
    finished(ticketing, sending.json()["job"])
    assert fulfilment.get(f"/api/v1/bookings/{booking_id}").json()["status"] == "distributed"
    assert {r for item in smtp.received for r in item.rcpt_tos} >= {g["email"] for g in guests}

    # Reissue and revoke: the old codes stop working everywhere.
    old_code = tickets[0]["code"]
    reissued = post(ticketing, f"/api/v1/tickets/{tickets[0]['id']}/reissue").json()
    assert reissued["generation"] == 2 and reissued["code"] != old_code
    revoked = post(ticketing, f"/api/v1/tickets/{tickets[1]['id']}/revoke").json()
    assert revoked["status"] == "revoked"
    bundle = ticketing.get("/api/v1/events/GF2026/gate-bundle").json()
    assert {"ticket": tickets[0]["id"], "generation": 1} in bundle["revoked"]
    assert bundle["public_keys"] and set(bundle) >= {"event", "public_keys", "revoked", "generated_at"}

    # Lane 07: the gate.
    out = io.StringIO()
    call_command("create_gate_token", "--event", "GF2026", "--gate", "North", stdout=out)
    scanner = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")

    def scan(code, nonce=None):
        return post(scanner, "/api/v1/gate/scans", {
            "code": code, "gate": "North", "device_id": "scanner-7", "scanned_at": timezone.now().isoformat(),
            "nonce": nonce or uuid.uuid4().hex}).json()

    first = scan(tickets[2]["code"], nonce="n-1")
    assert first["result"] == "admitted" and first["ticket"]["guest_name"] == tickets[2]["guest"]["name"]
    assert scan(tickets[2]["code"], nonce="n-1") == first, "a repeated nonce answers the first answer"
    assert scan(tickets[2]["code"])["result"] == "duplicate"
    assert scan(old_code)["result"] == "revoked"
    assert scan(tickets[1]["code"])["result"] == "revoked"
    assert scan("EC1:NOTAREALCODE")["result"] == "invalid"
    assert scan(reissued["code"])["result"] == "admitted"

    report = reporting.get(f"/api/v1/bookings/{booking_id}/report").json()
    assert set(report) >= {"yield", "channel_mix", "finance", "attendance"}
    assert Decimal(report["finance"]["paid"]) == Decimal("10450.00")
    assert Decimal(report["finance"]["outstanding"]) == 0
    assert report["attendance"]["admitted"] == 2
    event_report = reporting.get("/api/v1/events/GF2026/report").json()
    assert "capacity" in event_report and event_report["attendance"]["admitted"] >= 2
