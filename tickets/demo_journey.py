"""Demo: walk Harbour Bank's Grand Final suite through allocation, invoice, payment and ticket issue.

So a fresh `make run` shows every lane with real rows: a manifest, a tax invoice paid in two parts,
and issued tickets with PDFs and passes. It takes a suite, never a GF2026 box: the ten BOX-8 boxes stay
free so a demo can show what an oversell attempt gets. Idempotent: each step runs only if the booking
has not passed it.
"""

from decimal import Decimal

from django.utils import timezone

from allocation import services as allocation_services
from buyers.models import Booking
from eventchain.lifecycle import BookingStatus
from finance import services as finance_services
from finance.models import Invoice

from . import services as ticket_services

ACTOR = "demo-seed"
BUYER = "Harbour Bank"


def seed() -> None:
    booking = Booking.objects.filter(buyer__name=BUYER, event__code="GF2026", package__code="SUITE-12").first()
    if booking is None:
        return
    if booking.status == BookingStatus.CONFIRMED:
        allocation_services.allocate_booking(booking_id=booking.pk, actor=ACTOR, source="demo")
        allocation_services.confirm_allocation(booking_id=booking.pk, actor=ACTOR)
    booking.refresh_from_db()
    if booking.status == BookingStatus.INVOICED:
        invoice = Invoice.objects.filter(booking=booking).order_by("pk").first()
        deposit = (invoice.total / 2).quantize(Decimal("0.01"))
        today = timezone.localdate()
        finance_services.record_payment(invoice_id=invoice.pk, amount=deposit, received_on=today,
                                        reference="EFT deposit", actor=ACTOR)
        invoice.refresh_from_db()
        finance_services.record_payment(invoice_id=invoice.pk, amount=invoice.amount_due, received_on=today,
                                        reference="EFT balance", actor=ACTOR)
    booking.refresh_from_db()
    if booking.status == BookingStatus.RELEASED:
        ticket_services.start_issuance(booking_id=booking.pk, actor=ACTOR)
