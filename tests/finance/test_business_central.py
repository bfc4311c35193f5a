"""Business Central end to end: msal client-credentials token, deep insert, post action, payments by polling."""

from decimal import Decimal

import pytest

from eventchain.lifecycle import BookingStatus
from eventchain.models import OutboxAttempt, OutboxMessage
from finance import reconciliation
from finance.models import CreditNote, Invoice, LedgerConnection, Payment
from finance.services import connections

pytestmark = pytest.mark.django_db


def test_manifest_to_released_through_business_central(business_central, make_booking, confirm, drain, api):
    booking = make_booking("BOX-8", 8)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)

    drain()

    invoice.refresh_from_db()
    sent = business_central.invoice(invoice.number)  # validated against the v2.0 metadata on the way in
    assert invoice.external_id == sent["id"] and invoice.external_number == sent["number"]
    assert sent["status"] == "Open" and sent["number"].startswith("PS-INV")  # posted with Microsoft.NAV.post
    assert sent["customerPurchaseOrderReference"] == "PO-5531"
    assert Decimal(str(sent["totalAmountIncludingTax"])) == invoice.total == Decimal("15840.00")
    (line,) = sent["salesInvoiceLines"]
    assert (line["lineType"], line["lineObjectNumber"], line["taxCode"]) == ("Account", "200", "OUTPUT")
    (customer,) = business_central.customers()
    assert customer["number"] == str(booking.billing_entity_id)
    assert customer["taxRegistrationNumber"] == "51 824 753 556"
    assert api("finance").get(f"/api/v1/invoices/{invoice.pk}").json()["ledger"]["sync"] == "synced"

    business_central.receive_payment(invoice.number, "4752.00")
    assert reconciliation.poll("business_central") == 1
    invoice.refresh_from_db()
    booking.refresh_from_db()
    assert invoice.amount_due == Decimal("11088.00") and booking.status == BookingStatus.INVOICED

    business_central.receive_payment(invoice.number, "11088.00")
    reconciliation.poll("business_central")
    reconciliation.poll("business_central")

    invoice.refresh_from_db()
    booking.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and booking.status == BookingStatus.RELEASED
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("4752.00"), Decimal("11088.00")]


def test_throttling_outages_timeouts_and_token_expiry_duplicate_nothing(business_central, make_booking, confirm,
                                                                        drain):
    business_central.faults.rate_limit(r"POST .*/salesInvoices$", retry_after=5)
    business_central.faults.server_error(r"POST .*/salesInvoices$", status=500)
    business_central.faults.timeout(r"POST .*/salesInvoices$", delay=1.6)  # created, but the answer is lost
    business_central.faults.expire_token(r"POST .*Microsoft\.NAV\.post$")
    booking = make_booking("BOX-8", 8)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)

    drain()

    invoice.refresh_from_db()
    assert len(business_central.invoices_with_external_number(invoice.number)) == 1
    assert business_central.invoice(invoice.number)["status"] == "Open"
    message = OutboxMessage.objects.get(kind="finance.invoice.post")
    assert message.status == OutboxMessage.Status.DONE
    errors = list(OutboxAttempt.objects.filter(message=message).order_by("number").values_list("error", flat=True))
    assert "429" in errors[0] and "500" in errors[1] and "did not answer" in errors[2] and errors[-1] == ""
    assert not business_central.faults.pending()

    business_central.faults.server_error(r"GET .*/salesInvoices$")
    business_central.receive_payment(invoice.number, "15840.00")
    assert reconciliation.poll("business_central") == 0  # outage: nothing applied, cursor kept
    assert reconciliation.poll("business_central") == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RELEASED and Payment.objects.count() == 1


def test_cancellation_posts_a_credit_memo_applied_to_the_invoice(business_central, make_booking, confirm, drain,
                                                                 fulfilment):
    from allocation import services as allocation

    booking = make_booking("BOX-8", 8)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    drain()
    allocation.cancel_allocation(booking_id=booking.pk, actor=fulfilment, cancel_booking=True)
    drain()

    invoice.refresh_from_db()
    note = CreditNote.objects.get()
    (memo,) = business_central.credit_memos()
    assert note.external_id == memo["id"] and memo["externalDocumentNumber"] == note.number
    assert memo["invoiceId"] == invoice.external_id and memo["status"] == "Paid"
    assert business_central.invoice(invoice.number)["remainingAmount"] == 0
    reconciliation.poll("business_central")
    assert not Payment.objects.exists()  # the credit memo is not mistaken for a receipt


def test_connection_check_reports_the_company(business_central, finance_user):
    checked = connections.check(actor=finance_user, backend="business_central")
    assert checked.last_test_ok and "Riverside Hospitality" in checked.last_test_message
    assert LedgerConnection.objects.get(backend="business_central").last_tested_at


def test_wrong_credentials_fail_the_check_with_a_reason(business_central, finance_user, settings):
    settings.BC_CLIENT_SECRET = "not-the-secret"
    checked = connections.check(actor=finance_user, backend="business_central")
    assert checked.last_test_ok is False and "sign-in failed" in checked.last_test_message
