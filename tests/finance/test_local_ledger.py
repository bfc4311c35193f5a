"""The built-in ledger end to end through the API: invoice, partial payments, release on the deposit terms."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry
from finance import services
from finance.models import Invoice, Payment, PaymentAllocation, UnmatchedReceipt

pytestmark = pytest.mark.django_db

INVOICE_KEYS = {"id", "number", "status", "currency", "subtotal", "tax", "total", "amount_due", "lines", "ledger"}


def pay(client, invoice, amount, reference="EFT 8812", **extra):
    body = {"amount": amount, "date": timezone.localdate().isoformat(), "reference": reference, **extra}
    return client.post(f"/api/v1/invoices/{invoice.pk}/payments", data=json.dumps(body),
                       content_type="application/json")


def test_invoice_read_has_the_contract_shape(make_booking, confirm, api):
    booking = make_booking("TABLE-10", 10)
    invoice_id = confirm(booking).invoice_id

    response = api("finance").get(f"/api/v1/invoices/{invoice_id}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= INVOICE_KEYS
    assert body["id"] == invoice_id and body["number"] == "INV-000001" and body["status"] == "posted"
    assert (body["currency"], body["subtotal"], body["tax"], body["total"], body["amount_due"]) == (
        "AUD", "9500.00", "950.00", "10450.00", "10450.00")
    (line,) = body["lines"]
    assert set(line) == {"description", "quantity", "unit_amount", "tax_amount", "line_amount"}
    assert (line["quantity"], line["unit_amount"], line["tax_amount"], line["line_amount"]) == (
        "1", "9500.00", "950.00", "9500.00")
    assert body["ledger"] == {"backend": "local", "external_id": None, "sync": "synced"}


def test_unknown_invoice_is_404_and_other_roles_are_refused(api, make_booking, confirm):
    assert api("finance").get("/api/v1/invoices/999999").status_code == 404
    assert api("finance").get("/api/v1/invoices/abc").status_code == 404
    invoice_id = confirm(make_booking()).invoice_id
    assert api("ticketing").get(f"/api/v1/invoices/{invoice_id}").status_code == 403


def test_two_payments_release_the_booking_on_full_payment(make_booking, confirm, api):
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    client = api("finance")

    first = pay(client, invoice, "3135.00")

    assert first.status_code == 201
    assert first.json()["invoice"]["amount_due"] == "7315.00"
    assert first.json()["invoice"]["status"] == "partially_paid"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.INVOICED  # deposit in, but the terms say full payment

    second = pay(client, invoice, "7315.00", reference="EFT 9120")

    assert second.status_code == 201
    assert second.json()["invoice"]["amount_due"] == "0.00" and second.json()["invoice"]["status"] == "paid"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RELEASED
    assert AuditEntry.objects.filter(action="booking.released", object_id=str(booking.pk)).count() == 1
    deposit, balance = invoice.installments.all()
    assert deposit.is_paid and balance.is_paid
    assert list(PaymentAllocation.objects.order_by("pk").values_list("amount", flat=True)) == [
        Decimal("3135.00"), Decimal("7315.00")]


def test_release_on_deposit_follows_the_terms(make_booking, confirm, api):
    booking = make_booking("TABLE-10", 10, release_on_deposit=True)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)

    partial = pay(api("finance"), invoice, "1000.00")
    assert partial.status_code == 201
    booking.refresh_from_db()
    assert booking.status == BookingStatus.INVOICED  # 1000 of a 3135 deposit

    pay(api("finance"), invoice, "2135.00")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RELEASED
    deposit = invoice.installments.get(position=0)
    assert deposit.amount_paid == deposit.amount == Decimal("3135.00")


def test_overpayment_is_refused_and_nothing_is_written(make_booking, confirm, api):
    invoice = Invoice.objects.get(pk=confirm(make_booking()).invoice_id)
    response = pay(api("finance"), invoice, "10450.01")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"
    assert "10450.00" in response.json()["errors"][0]["message"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "1.001"}, "amount"),
    ({"amount": "100.00", "date": (timezone.localdate() + timedelta(days=3)).isoformat()}, "date"),
    ({"amount": "abc"}, "amount"),
])
def test_bad_payment_input_names_the_field(make_booking, confirm, api, body, field):
    invoice = Invoice.objects.get(pk=confirm(make_booking()).invoice_id)
    response = pay(api("finance"), invoice, **{"amount": "1.00", **body})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_recording_payments_needs_the_finance_capability(make_booking, confirm, api):
    invoice = Invoice.objects.get(pk=confirm(make_booking()).invoice_id)
    assert pay(api("sales"), invoice, "100.00").status_code == 403
    assert not Payment.objects.exists()


def test_an_invoice_kept_in_an_external_ledger_refuses_hand_recorded_payments(make_booking, confirm, api):
    invoice = Invoice.objects.get(pk=confirm(make_booking()).invoice_id)
    Invoice.objects.filter(pk=invoice.pk).update(ledger_backend="xero")
    response = pay(api("finance"), invoice, "100.00")
    assert response.status_code == 409
    assert "Xero" in response.json()["errors"][0]["message"]


def test_a_bank_receipt_naming_the_invoice_is_applied_and_others_are_queued(make_booking, confirm, finance_user):
    invoice = Invoice.objects.get(pk=confirm(make_booking()).invoice_id)
    today = timezone.localdate()

    applied = services.record_receipt(reference=f"ACME PAYMENT {invoice.number.lower()}", amount="500.00",
                                      received_on=today, actor=finance_user)
    unknown = services.record_receipt(reference="DIRECT CREDIT 77812", amount="250.00", received_on=today,
                                      actor=finance_user)
    too_much = services.record_receipt(reference=invoice.number, amount="99999.00", received_on=today,
                                       actor=finance_user)

    assert isinstance(applied, Payment) and applied.invoice == invoice
    assert unknown.reason == UnmatchedReceipt.Reason.UNMATCHED and unknown.is_open
    assert too_much.reason == UnmatchedReceipt.Reason.OVERPAYMENT and too_much.invoice == invoice

    payment = services.match_receipt(item_id=unknown.pk, invoice_id=invoice.pk, actor=finance_user)
    assert payment.amount == Decimal("250.00")
    unknown.refresh_from_db()
    assert not unknown.is_open and invoice.number in unknown.resolution
    services.resolve_item(item_id=too_much.pk, actor=finance_user, resolution="Refunded by EFT 4410")
    too_much.refresh_from_db()
    assert not too_much.is_open
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("9700.00")


def test_confirm_allocation_answers_with_the_invoice_and_the_booking_is_invoiced(make_booking, api):
    booking = make_booking("TABLE-10", 10)
    client = api("fulfilment")
    assert client.post(f"/api/v1/bookings/{booking.pk}/allocate", data="{}",
                       content_type="application/json").status_code == 200

    response = client.post(f"/api/v1/bookings/{booking.pk}/confirm-allocation")

    assert response.status_code == 200
    invoice = Invoice.objects.get(booking=booking)
    assert response.json()["invoice"] == str(invoice.pk)
    assert api("admin").get(f"/api/v1/bookings/{booking.pk}").json()["status"] == "invoiced"
    assert api("finance").get(f"/api/v1/invoices/{response.json()['invoice']}").json()["number"] == invoice.number
