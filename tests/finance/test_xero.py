"""Xero end to end through the real xero-python SDK against the validating fake."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from eventchain.lifecycle import BookingStatus
from eventchain.models import OutboxAttempt, OutboxMessage
from finance import queries, reconciliation
from finance.models import CreditNote, Invoice, LedgerSyncState, Payment, UnmatchedReceipt
from tests.fakes.xero import counts_by_number

pytestmark = pytest.mark.django_db


def synced_invoice(make_booking, confirm, drain, **booking):
    booking = make_booking("TABLE-10", 10, **booking)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    drain()
    invoice.refresh_from_db()
    return booking, invoice


def test_manifest_to_released_through_xero(xero, make_booking, confirm, drain, api):
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    assert invoice.status == Invoice.Status.DRAFT and queries.sync_state(invoice) == "pending"

    drain()

    invoice.refresh_from_db()
    sent = xero.invoice(invoice.number)  # the fake validated the SDK's request against Xero's OpenAPI contract
    assert invoice.external_id == sent["InvoiceID"] and invoice.status == Invoice.Status.POSTED
    assert (sent["Type"], sent["Status"], sent["LineAmountTypes"]) == ("ACCREC", "AUTHORISED", "Exclusive")
    assert sent["Reference"] == "PO-5531"
    assert Decimal(str(sent["Total"])) == invoice.total and Decimal(str(sent["TotalTax"])) == invoice.tax
    (line,) = sent["LineItems"]
    assert (line["AccountCode"], line["TaxType"], line["Quantity"], line["UnitAmount"]) == ("200", "OUTPUT", 1.0, 9500.0)
    contact = xero.org.contacts[sent["Contact"]["ContactID"]]
    assert contact["ContactNumber"] == str(booking.billing_entity_id)
    assert contact["TaxNumber"] == "51 824 753 556" and contact["Name"] == booking.billing_entity.legal_name
    assert api("finance").get(f"/api/v1/invoices/{invoice.pk}").json()["ledger"] == {
        "backend": "xero", "external_id": sent["InvoiceID"], "sync": "synced"}

    xero.receive_payment(invoice.number, "3135.00", reference="Deposit EFT")
    assert reconciliation.poll("xero") == 1

    invoice.refresh_from_db()
    booking.refresh_from_db()
    assert invoice.amount_due == Decimal("7315.00") and invoice.status == Invoice.Status.PARTIALLY_PAID
    assert booking.status == BookingStatus.INVOICED  # still held: full payment is the default term

    xero.receive_payment(invoice.number, "7315.00", reference="Balance EFT")
    reconciliation.poll("xero")
    reconciliation.poll("xero")  # polling again changes nothing

    invoice.refresh_from_db()
    booking.refresh_from_db()
    assert invoice.amount_due == 0 and invoice.status == Invoice.Status.PAID
    assert booking.status == BookingStatus.RELEASED
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("3135.00"), Decimal("7315.00")]
    assert set(Payment.objects.values_list("source", flat=True)) == {"xero"}
    assert LedgerSyncState.objects.get(backend="xero").cursor is not None


def test_429s_5xx_and_a_timeout_duplicate_nothing_and_lose_nothing(xero, make_booking, confirm, drain):
    xero.faults.rate_limit(r"PUT /api.xro/2.0/Invoices", retry_after=7)
    xero.faults.server_error(r"PUT /api.xro/2.0/Invoices", status=503, times=2)
    xero.faults.timeout(r"PUT /api.xro/2.0/Invoices", delay=1.6)  # Xero creates it, the answer never arrives
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)

    drain()

    invoice.refresh_from_db()
    message = OutboxMessage.objects.get(kind="finance.invoice.post")
    assert message.status == OutboxMessage.Status.DONE
    assert counts_by_number(xero)[invoice.number] == 1  # the retry found it by number instead of sending it again
    assert invoice.external_id == xero.invoice(invoice.number)["InvoiceID"]
    attempts = list(OutboxAttempt.objects.filter(message=message).values_list("error", flat=True))
    assert len(attempts) == 5 and attempts[-1] == ""
    assert "rate limit" in attempts[0] and "503" in attempts[1] and "did not answer" in attempts[3]
    assert not xero.faults.pending()
    # The 429's Retry-After (7 s) was honoured: the second try waited at least that long.
    first, second = OutboxAttempt.objects.filter(message=message).order_by("number")[:2]
    assert (second.started_at - first.finished_at).total_seconds() >= 7

    xero.faults.rate_limit(r"GET /api.xro/2.0/Payments", retry_after=1)
    xero.receive_payment(invoice.number, "10450.00")
    assert reconciliation.poll("xero") == 0  # throttled: nothing applied, nothing lost
    assert "rate limit" in LedgerSyncState.objects.get(backend="xero").last_error
    LedgerSyncState.objects.update(cursor=None)
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # Xero's Retry-After has passed
        assert reconciliation.poll("xero") == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RELEASED
    assert Payment.objects.count() == 1


def test_an_expired_token_is_renewed_and_the_call_repeated(xero, make_booking, confirm, drain):
    xero.faults.expire_token(r"PUT /api.xro/2.0/Invoices")
    _, invoice = synced_invoice(make_booking, confirm, drain)
    assert invoice.external_id
    assert OutboxMessage.objects.get(kind="finance.invoice.post").attempts == 1
    assert ("PUT", "/api.xro/2.0/Invoices", 401) in xero.log


def test_a_refused_invoice_goes_dead_with_xeros_reason_and_can_be_retried(xero, make_booking, confirm, drain,
                                                                         finance_user):
    from eventchain.models import Package

    Package.objects.filter(code="TABLE-10").update(ledger_account_code="999")
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    drain()

    message = OutboxMessage.objects.get(kind="finance.invoice.post")
    assert message.status == OutboxMessage.Status.DEAD and message.attempts == 1
    assert "Account code '999' is not a valid code" in message.last_error
    assert queries.sync_state(invoice) == "dead"

    from finance import services

    invoice.lines.update(account_code="200")  # finance fixed the account mapping
    services.retry_sync(actor=finance_user, invoice_id=invoice.pk)
    drain()
    invoice.refresh_from_db()
    assert invoice.external_id and queries.sync_state(invoice) == "synced"


def test_credit_note_is_sent_and_allocated_against_the_invoice(xero, make_booking, confirm, drain, fulfilment):
    from allocation import services as allocation

    booking, invoice = synced_invoice(make_booking, confirm, drain)
    xero.receive_payment(invoice.number, "1000.00")
    reconciliation.poll("xero")

    allocation.cancel_allocation(booking_id=booking.pk, actor=fulfilment, cancel_booking=True)
    drain()

    note = CreditNote.objects.get()
    assert note.external_id and note.posted_at
    sent = next(iter(xero.org.credit_notes.values()))
    assert sent["CreditNoteNumber"] == note.number and sent["Reference"] == invoice.number
    assert Decimal(str(sent["Total"])) == note.total
    (allocation_row,) = sent["Allocations"]
    assert Decimal(str(allocation_row["Amount"])) == Decimal("9450.00")  # what Xero still showed as due
    assert xero.invoice(invoice.number)["Status"] == "PAID"
    refund = UnmatchedReceipt.objects.get(reason=UnmatchedReceipt.Reason.REFUND_DUE)
    assert refund.amount == Decimal("1000.00")


def test_a_payment_on_an_unknown_eventchain_number_is_queued(xero, make_booking, confirm, drain):
    _, invoice = synced_invoice(make_booking, confirm, drain)
    xero.invoice(invoice.number)["InvoiceNumber"] = "INV-999999"  # renamed in Xero by hand
    xero.receive_payment("INV-999999", "50.00")
    Invoice.objects.filter(pk=invoice.pk).update(external_id="")
    reconciliation.poll("xero")
    item = UnmatchedReceipt.objects.get()
    assert item.reason == UnmatchedReceipt.Reason.UNMATCHED and item.amount == Decimal("50.00")
    assert not Payment.objects.exists()
