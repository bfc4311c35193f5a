"""Invoices from manifests: contents, numbering, schedule, supplementary invoices and credit notes."""

from decimal import Decimal

import pytest
from django.test import override_settings

from allocation import services as allocation
from eventchain.errors import ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry, OutboxMessage
from finance.models import CreditNote, Invoice, UnmatchedReceipt

pytestmark = pytest.mark.django_db


def test_confirming_a_manifest_raises_a_tax_invoice_and_reports_its_id(make_booking, confirm):
    booking = make_booking("TABLE-10", 20)

    confirmed = confirm(booking)

    invoice = Invoice.objects.get(booking=booking)
    assert confirmed.invoice_id == str(invoice.pk)  # allocation reports what the receiver returned
    assert invoice.manifest == confirmed.manifest
    assert invoice.number == "INV-000001"
    assert invoice.supplier_name == "Riverside Hospitality Pty Ltd"
    assert invoice.supplier_tax_number == "53 004 085 616"
    assert invoice.bill_to_name == booking.billing_entity.legal_name
    assert invoice.bill_to_tax_number == "51 824 753 556"
    assert invoice.po_number == "PO-5531"
    assert invoice.currency == "AUD"
    (line,) = invoice.lines.all()
    assert line.quantity == 2 and line.unit_amount == Decimal("9500.00")
    assert line.line_amount == Decimal("19000.00") and line.tax_amount == Decimal("1900.00")
    assert "TABLE-01" in line.description and "TABLE-02" in line.description
    assert (line.account_code, line.tax_type) == ("200", "OUTPUT")
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("19000.00"), Decimal("1900.00"),
                                                              Decimal("20900.00"))
    assert invoice.amount_due == invoice.total
    assert invoice.status == Invoice.Status.POSTED  # built-in ledger: the books are EventChain's own
    booking.refresh_from_db()
    assert booking.status == BookingStatus.INVOICED
    assert AuditEntry.objects.filter(action="invoice.raised", object_id=str(invoice.pk)).exists()
    assert not OutboxMessage.objects.filter(kind__startswith="finance.").exists()  # nothing to send anywhere


def test_payment_schedule_splits_the_total_by_the_booking_terms(make_booking, confirm):
    booking = make_booking("BOX-8", 8)
    confirm(booking)
    invoice = Invoice.objects.get(booking=booking)
    deposit, balance = invoice.installments.all()
    assert (deposit.label, deposit.amount) == ("Deposit", Decimal("4752.00"))  # 30% of 15840.00
    assert (balance.label, balance.amount) == ("Balance", Decimal("11088.00"))
    assert deposit.amount + balance.amount == invoice.total
    assert invoice.due_date == deposit.due_date


def test_a_booking_without_terms_is_due_in_full_after_the_payment_terms(make_booking, confirm):
    booking = make_booking("BOX-8", 8, schedule=())
    confirm(booking)
    (only,) = Invoice.objects.get(booking=booking).installments.all()
    assert only.label == "Full payment" and only.amount == Decimal("15840.00")


def test_comps_are_zero_price_lines(make_booking, confirm, fulfilment):
    booking = make_booking("TABLE-10", 10)
    allocation.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    allocation.grant_comp(booking_id=booking.pk, actor=fulfilment, quantity=2, reason="Sponsor thank-you",
                          package_code="PARKING")
    allocation.confirm_allocation(booking_id=booking.pk, actor=fulfilment)
    invoice = Invoice.objects.get(booking=booking)
    paid, comp = invoice.lines.all()
    assert not paid.is_comp and paid.line_amount == Decimal("9500.00")
    assert comp.is_comp and comp.quantity == 2 and comp.unit_amount == 0 and comp.line_amount == 0
    assert comp.description.startswith("Complimentary: ")
    assert invoice.total == Decimal("10450.00")


def test_an_invoice_needs_a_billing_entity_and_refusing_rolls_the_confirmation_back(make_booking, confirm):
    booking = make_booking("TABLE-10", 10, billing=False)
    with pytest.raises(ValidationFailed, match="billing entity"):
        confirm(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert not booking.manifests.exists() and not Invoice.objects.exists()


def test_numbers_run_on_per_prefix_without_gaps(make_booking, confirm):
    first, second = make_booking("TABLE-10", 10), make_booking("BOX-8", 8)
    confirm(first)
    confirm(second)
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["INV-000001", "INV-000002"]
    with override_settings(EVENTCHAIN_INVOICE_PREFIX="HOSP"):
        confirm(make_booking("BOX-8", 8))
    assert Invoice.objects.filter(number="HOSP-000001").exists()


def test_a_bigger_manifest_raises_a_supplementary_invoice(make_booking, confirm, fulfilment):
    booking = make_booking("TABLE-10", 10)
    confirm(booking, units=["TABLE-01"])
    original = Invoice.objects.get(booking=booking)

    confirmed = allocation.amend_allocation(booking_id=booking.pk, actor=fulfilment, add=["TABLE-02"])

    extra = Invoice.objects.get(booking=booking, kind=Invoice.Kind.SUPPLEMENTARY)
    assert confirmed.invoice_id == str(extra.pk)
    assert extra.supplements == original and extra.number == "INV-000002"
    (line,) = extra.lines.all()
    assert line.quantity == 1 and "added: TABLE-02" in line.description
    assert extra.total == Decimal("10450.00")
    assert not CreditNote.objects.exists()
    original.refresh_from_db()
    assert original.total == Decimal("10450.00")  # invoices are never rewritten


def test_a_smaller_manifest_raises_a_credit_note_on_the_invoice(make_booking, confirm, fulfilment):
    booking = make_booking("TABLE-10", 14)
    confirm(booking, units=["TABLE-01", "TABLE-02"])
    invoice = Invoice.objects.get(booking=booking)
    assert invoice.total == Decimal("20900.00")

    # Two whole tables become one table and four single seats at another: less stock, less money.
    seats = [f"TABLE-05-S{n}" for n in range(1, 5)]
    confirmed = allocation.amend_allocation(booking_id=booking.pk, actor=fulfilment, add=seats, remove=["TABLE-02"])

    note = CreditNote.objects.get()
    assert note.invoice == invoice and note.number == "CN-000001"
    assert note.reason == CreditNote.Reason.REDUCTION and note.manifest == confirmed.manifest
    (line,) = note.lines.all()
    assert line.quantity == 1 and line.unit_amount == Decimal("9500.00") and "removed: TABLE-02" in line.description
    assert note.total == Decimal("10450.00") and note.amount_applied == note.total
    extra = Invoice.objects.get(kind=Invoice.Kind.SUPPLEMENTARY)
    assert confirmed.invoice_id == str(extra.pk)
    (seat_line,) = extra.lines.all()
    assert seat_line.quantity == 4 and seat_line.unit_amount == Decimal("950.00")
    invoice.refresh_from_db()
    assert invoice.amount_credited == Decimal("10450.00") and invoice.amount_due == Decimal("10450.00")
    assert invoice.status == Invoice.Status.PARTIALLY_PAID
    # What the booking owes now matches its new manifest: 9500 + 4 × 950, plus GST.
    owed = sum(i.amount_due for i in Invoice.objects.filter(booking=booking))
    assert owed == Decimal("14630.00")


def test_swapping_a_unit_for_one_of_the_same_price_changes_nothing(make_booking, confirm, fulfilment):
    booking = make_booking("TABLE-10", 10)
    confirm(booking, units=["TABLE-01"])
    allocation.amend_allocation(booking_id=booking.pk, actor=fulfilment, add=["TABLE-03"], remove=["TABLE-01"])
    assert Invoice.objects.count() == 1 and not CreditNote.objects.exists()


def test_cancelling_credits_the_whole_invoice_which_stays_on_file(make_booking, confirm, fulfilment):
    booking = make_booking("TABLE-10", 10)
    confirm(booking)
    invoice = Invoice.objects.get(booking=booking)

    allocation.cancel_allocation(booking_id=booking.pk, actor=fulfilment, reason="Event no longer suits",
                                 cancel_booking=True)

    note = CreditNote.objects.get(invoice=invoice)
    assert note.reason == CreditNote.Reason.CANCELLATION
    assert note.total == invoice.total
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID and invoice.amount_due == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_cancelling_after_a_payment_flags_the_refund_owed(make_booking, confirm, fulfilment, finance_user):
    from finance import services

    booking = make_booking("TABLE-10", 10)
    confirm(booking)
    invoice = Invoice.objects.get(booking=booking)
    services.record_payment(invoice_id=invoice.pk, amount="3135.00", received_on=invoice.issue_date,
                            reference="EFT 1", actor=finance_user)

    allocation.cancel_allocation(booking_id=booking.pk, actor=fulfilment, cancel_booking=True)

    note = CreditNote.objects.get()
    assert note.amount_applied == Decimal("7315.00") and note.refund_due == Decimal("3135.00")
    refund = UnmatchedReceipt.objects.get(reason=UnmatchedReceipt.Reason.REFUND_DUE)
    assert refund.amount == Decimal("3135.00") and refund.credit_note == note and refund.is_open
    invoice.refresh_from_db()
    assert invoice.amount_due == 0 and invoice.status == Invoice.Status.PAID
