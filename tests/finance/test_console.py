"""Finance console pages: invoices list and detail, payments, retry sync, PDF, reconciliation, ledger settings."""

from decimal import Decimal

import pytest
from django.urls import reverse

from eventchain.models import OutboxMessage
from finance import pdf
from finance.models import Invoice, Payment, UnmatchedReceipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(make_booking, confirm):
    """make(n) → n invoices for parking bookings (one pass each, built-in ledger)."""

    def make(n: int) -> list[Invoice]:
        return [Invoice.objects.get(pk=confirm(make_booking("PARKING", 1)).invoice_id) for _ in range(n)]

    return make


def test_finance_appears_in_the_navigation_for_finance_staff(staff_client):
    page = staff_client("finance").get(reverse("dashboard"))
    assert reverse("finance:invoices").encode() in page.content


def test_invoice_list_filters_searches_and_stays_flat(staff_client, invoices, django_assert_max_num_queries):
    first, second, third = invoices(3)
    Invoice.objects.filter(pk=second.pk).update(due_date="2020-01-01")
    client = staff_client("finance")

    with django_assert_max_num_queries(12):
        few = client.get(reverse("finance:invoices"))
    invoices(6)
    with django_assert_max_num_queries(12):
        many = client.get(reverse("finance:invoices"))
    assert few.status_code == many.status_code == 200
    assert first.number.encode() in many.content

    overdue = client.get(reverse("finance:invoices"), {"overdue": "1"}).content
    assert second.number.encode() in overdue and first.number.encode() not in overdue
    found = client.get(reverse("finance:invoices"), {"q": third.number}).content
    assert third.number.encode() in found and first.number.encode() not in found
    synced = client.get(reverse("finance:invoices"), {"sync": "dead"}).content
    assert b"No invoices match these filters" in synced
    partial = client.get(reverse("finance:invoices"), {"status": "posted"}, HTTP_HX_REQUEST="true")
    assert b'id="invoice-table"' in partial.content and b"<html" not in partial.content


def test_invoice_list_is_empty_friendly_and_refuses_other_roles(staff_client):
    assert b"No invoices yet" in staff_client("finance").get(reverse("finance:invoices")).content
    assert staff_client("ticketing").get(reverse("finance:invoices")).status_code == 403


def test_detail_shows_lines_schedule_and_takes_a_payment(staff_client, make_booking, confirm,
                                                        django_assert_max_num_queries):
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    client = staff_client("finance")

    with django_assert_max_num_queries(20):
        page = client.get(invoice.get_absolute_url())
    assert page.status_code == 200
    for text in (invoice.number, "TABLE-01", "Deposit", "Balance", "9,500.00", "10,450.00", "Record a payment"):
        assert text.encode() in page.content

    refused = client.post(reverse("finance:record-payment", args=[invoice.pk]),
                          {"amount": "20000.00", "received_on": invoice.issue_date, "reference": "EFT 1"})
    assert refused.status_code == 422 and b"more than the 10450.00 still due" in refused.content
    done = client.post(reverse("finance:record-payment", args=[invoice.pk]),
                       {"amount": "3135.00", "received_on": invoice.issue_date, "reference": "EFT 1"})
    assert done.status_code == 302
    assert Payment.objects.get().amount == Decimal("3135.00")


def test_detail_shows_sync_errors_and_retries_dead_messages(xero, staff_client, make_booking, confirm, drain):
    from eventchain.models import Package

    Package.objects.filter(code="TABLE-10").update(ledger_tax_type="NOPE")
    invoice = Invoice.objects.get(pk=confirm(make_booking("TABLE-10", 10)).invoice_id)
    drain()
    client = staff_client("finance")

    page = client.get(invoice.get_absolute_url())
    assert b"The TaxType code &#x27;NOPE&#x27; does not exist" in page.content
    assert b"Retry ledger sync" in page.content
    assert b"Record a payment" not in page.content  # Xero's invoices take their receipts in Xero

    invoice.lines.update(tax_type="OUTPUT")
    response = client.post(reverse("finance:retry-sync", args=[invoice.pk]))
    assert response.status_code == 302
    message = OutboxMessage.objects.get(kind="finance.invoice.post")
    assert message.status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.DONE)
    drain()
    invoice.refresh_from_db()
    assert invoice.external_id


def test_pdf_is_a_tax_invoice_with_the_required_particulars(staff_client, make_booking, confirm):
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)

    response = staff_client("finance").get(reverse("finance:invoice-pdf", args=[invoice.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and len(response.content) > 5000
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    html = pdf.invoice_html(invoice)
    for text in ("Tax invoice", "Riverside Hospitality Pty Ltd", "ABN 53 004 085 616", invoice.number,
                 invoice.bill_to_name, "ABN 51 824 753 556", "PO-5531", "Deposit", "Balance", "3,135.00",
                 "7,315.00", "10,450.00", "950.00", "Amount due AUD"):
        assert text in html, text


def test_pdf_needs_a_finance_role(staff_client, make_booking, confirm):
    invoice_id = confirm(make_booking()).invoice_id
    assert staff_client("sales").get(reverse("finance:invoice-pdf", args=[invoice_id])).status_code == 403


def test_reconciliation_queue_takes_receipts_and_decisions(staff_client, make_booking, confirm):
    invoice = Invoice.objects.get(pk=confirm(make_booking()).invoice_id)
    client = staff_client("finance")
    assert b"Nothing waiting" in client.get(reverse("finance:reconciliation")).content

    client.post(reverse("finance:record-receipt"), {"reference": "DIRECT CREDIT 4471", "amount": "500.00",
                                                    "received_on": invoice.issue_date})
    item = UnmatchedReceipt.objects.get()
    page = client.get(reverse("finance:reconciliation"))
    assert b"DIRECT CREDIT 4471" in page.content and b"No matching invoice" in page.content

    client.post(reverse("finance:match-receipt", args=[item.pk]), {"invoice_number": invoice.number.lower()})
    item.refresh_from_db()
    assert not item.is_open and Payment.objects.get().amount == Decimal("500.00")

    bad = client.post(reverse("finance:record-receipt"), {"reference": "", "amount": "x", "received_on": ""})
    assert bad.status_code == 422 and b"This field is required" in bad.content


def test_ledger_page_tests_and_switches_the_ledger(staff_client, settings):
    client = staff_client("finance")
    page = client.get(reverse("finance:ledger"))
    assert page.status_code == 200 and b"Built-in ledger" in page.content and b"Business Central" in page.content

    tested = client.post(reverse("finance:ledger-test"), {"backend": "business_central"}, follow=True)
    assert b"Business Central is not configured" in tested.content

    refused = client.post(reverse("finance:ledger-use"), {"backend": "xero"}, follow=True)
    assert b"Connect Xero and choose an organisation" in refused.content
    client.post(reverse("finance:ledger-use"), {"backend": "business_central"})
    from finance import ledgers

    assert ledgers.active_backend() == "business_central"
