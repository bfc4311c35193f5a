"""What an invoice's numbers mean (its status) and when a booking's deposit terms release it for ticketing."""

from buyers import services as buyer_services
from buyers.models import Booking
from eventchain.lifecycle import BookingStatus

from ..models import Invoice, InvoiceInstallment


def refresh_status(invoice: Invoice) -> None:
    """Set `status` from the amounts. Call with the invoice locked; the caller saves."""
    if invoice.amount_due == 0 and invoice.amount_paid == 0 and invoice.amount_credited > 0:
        invoice.status = Invoice.Status.VOID
    elif invoice.posted_at is None and invoice.amount_paid == 0 and invoice.amount_credited == 0:
        invoice.status = Invoice.Status.DRAFT  # still on its way to the external ledger
    elif invoice.amount_due == 0:
        invoice.status = Invoice.Status.PAID
    elif invoice.amount_paid > 0 or invoice.amount_credited > 0:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    else:
        invoice.status = Invoice.Status.POSTED


def terms_met(booking: Booking) -> tuple[bool, str]:
    """Full payment by default; the first installment (the deposit) when the booking releases on deposit."""
    invoices = list(booking.invoices.exclude(status=Invoice.Status.VOID).order_by("pk"))
    if not invoices:
        return False, "no invoice is open"
    outstanding = [i for i in invoices if i.amount_due > 0]
    if not outstanding:
        return True, "paid in full"
    if booking.release_on_deposit:
        original = next((i for i in invoices if i.kind == Invoice.Kind.INVOICE), None)
        deposit = (InvoiceInstallment.objects.filter(invoice=original).order_by("position").first()
                   if original else None)
        if deposit is not None and deposit.is_paid:
            return True, f"deposit ({deposit.label}, {deposit.amount:,.2f}) paid"
        return False, "the deposit is not paid yet"
    return False, f"{sum(i.amount_due for i in outstanding):,.2f} still due"


def release_if_terms_met(*, booking_id: int, actor) -> bool:
    """Move an invoiced booking to released once its terms are met. Idempotent; runs in the caller's transaction."""
    booking = Booking.objects.select_for_update().get(pk=booking_id)
    if booking.status != BookingStatus.INVOICED:
        return False
    met, why = terms_met(booking)
    if not met:
        return False
    buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.RELEASED, actor=actor,
                              summary=f"{booking.reference} released for ticketing: {why}", data={"terms": why})
    return True
