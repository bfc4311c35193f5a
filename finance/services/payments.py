"""Receipts: recorded by finance (built-in ledger) or read from Xero / Business Central, applied oldest
installment first; anything that does not fit goes to the finance queue instead of being guessed at."""

import re
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from buyers.models import Booking
from eventchain import audit, money
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.money import format_money
from eventchain.roles import authorize

from .. import ledgers
from ..models import Invoice, InvoiceInstallment, Payment, PaymentAllocation, UnmatchedReceipt
from .settlement import refresh_status, release_if_terms_met

INVOICE_NUMBER = re.compile(r"\b[A-Z]{1,10}-\d{6}\b")


def _lock_invoice(invoice_id) -> Invoice:
    """Lock the booking, then the invoice: the order every finance write takes, so none deadlock."""
    booking_id = Invoice.objects.filter(pk=invoice_id).values_list("booking_id", flat=True).first()
    if booking_id is None:
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    Booking.objects.select_for_update().filter(pk=booking_id).first()
    return Invoice.objects.select_for_update().select_related("booking").get(pk=invoice_id)


def _validate(amount, received_on) -> tuple[Decimal, date]:
    errors = []
    try:
        amount = Decimal(str(amount))
    except ArithmeticError:
        errors.append({"field": "amount", "message": "must be a decimal amount such as 300.00"})
    else:
        if amount <= 0:
            errors.append({"field": "amount", "message": "must be more than 0.00"})
        elif amount != money.to_cents(amount):
            errors.append({"field": "amount", "message": "must have at most two decimal places"})
    if received_on is None:
        errors.append({"field": "date", "message": "is required (the day the money arrived, e.g. 2026-11-30)"})
    elif received_on > timezone.localdate():
        errors.append({"field": "date", "message": "cannot be in the future"})
    if errors:
        raise ValidationFailed.from_list(errors)
    return amount, received_on


def _apply(invoice: Invoice, *, amount: Decimal, received_on: date, reference: str, source: str, external_id: str,
           actor) -> Payment:
    payment = Payment.objects.create(
        invoice=invoice, amount=amount, received_on=received_on, reference=reference[:200], source=source,
        external_id=external_id[:200],
        recorded_by=actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None,
    )
    left = amount
    for installment in InvoiceInstallment.objects.select_for_update().filter(invoice=invoice).order_by("position"):
        if left <= 0:
            break
        share = min(left, installment.outstanding)
        if share <= 0:
            continue
        PaymentAllocation.objects.create(payment=payment, installment=installment, amount=share)
        installment.amount_paid += share
        installment.save(update_fields=["amount_paid"])
        left -= share
    invoice.amount_paid += amount
    invoice.amount_due -= amount
    refresh_status(invoice)
    invoice.save(update_fields=["amount_paid", "amount_due", "status", "updated_at"])
    audit.record(actor, "payment.recorded", f"{invoice.currency} {amount} received on {invoice.number} "
                 f"({payment.get_source_display()}{', ' + reference if reference else ''}); {invoice.amount_due} "
                 "still due", target=invoice, data={"payment": payment.pk, "amount": str(amount), "source": source})
    release_if_terms_met(booking_id=invoice.booking_id, actor=actor)
    return payment


def record_payment(*, invoice_id, amount, received_on: date | None, reference: str = "", actor,
                   source: str = Payment.Source.CONSOLE) -> Payment:
    """Finance records a receipt against an invoice kept in the built-in ledger. Overpaying is refused."""
    authorize(actor, "record_payments")
    amount, received_on = _validate(amount, received_on)
    with transaction.atomic():
        invoice = _lock_invoice(invoice_id)
        if ledgers.is_external(invoice.ledger_backend):
            raise StateConflict(
                f"{invoice.number} is kept in {invoice.get_ledger_backend_display()}: record the receipt there and "
                "EventChain picks it up at the next payment poll (or at once from the ledger's webhook)."
            )
        if invoice.status in (Invoice.Status.VOID, Invoice.Status.DRAFT):
            raise StateConflict(f"{invoice.number} is {invoice.get_status_display().lower()}; it takes no payments.")
        if amount > invoice.amount_due:
            raise ValidationFailed(
                f"{format_money(amount)} is more than the {invoice.amount_due} still due on {invoice.number}. Record at most "
                f"{invoice.amount_due}; put the rest in the reconciliation queue as an unmatched receipt.",
                field="amount",
            )
        return _apply(invoice, amount=amount, received_on=received_on, reference=reference, source=source,
                      external_id="", actor=actor)


def record_receipt(*, reference: str, amount, received_on: date | None, actor) -> Payment | UnmatchedReceipt:
    """A receipt typed in from a bank statement: applied when its reference names one of our invoices."""
    authorize(actor, "record_payments")
    amount, received_on = _validate(amount, received_on)
    numbers = INVOICE_NUMBER.findall((reference or "").upper())
    invoice = Invoice.objects.filter(number__in=numbers).first() if numbers else None
    if invoice is not None and not ledgers.is_external(invoice.ledger_backend) and amount <= invoice.amount_due \
            and invoice.status not in (Invoice.Status.VOID, Invoice.Status.DRAFT):
        return record_payment(invoice_id=invoice.pk, amount=amount, received_on=received_on, reference=reference,
                              actor=actor)
    if invoice is None:
        detail = "The reference names no EventChain invoice; match it to one by hand."
    elif ledgers.is_external(invoice.ledger_backend):
        detail = f"{invoice.number} is kept in {invoice.get_ledger_backend_display()}; record the receipt there."
    else:
        detail = f"{amount} is more than the {invoice.amount_due} due on {invoice.number}."
    return flag(reason=UnmatchedReceipt.Reason.UNMATCHED if invoice is None or ledgers.is_external(
                    invoice.ledger_backend) else UnmatchedReceipt.Reason.OVERPAYMENT,
                source=Payment.Source.CONSOLE, external_id="", amount=amount, received_on=received_on,
                reference=reference, invoice=invoice, detail=detail, actor=actor)


def flag(*, reason: str, source: str, external_id: str, amount: Decimal, received_on: date | None, reference: str,
         invoice: Invoice | None = None, payment: Payment | None = None, detail: str = "", raw: dict | None = None,
         actor=None) -> UnmatchedReceipt:
    """Put money that cannot be applied cleanly in the finance queue (once per ledger receipt)."""
    with transaction.atomic():
        if external_id:
            item, created = UnmatchedReceipt.objects.get_or_create(
                source=source, external_id=external_id[:200], reason=reason,
                defaults={"amount": amount, "received_on": received_on, "reference": reference[:200],
                          "invoice": invoice, "payment": payment, "detail": detail[:500], "raw": raw or {}},
            )
        else:
            item, created = UnmatchedReceipt.objects.create(
                reason=reason, source=source, amount=amount, received_on=received_on, reference=reference[:200],
                invoice=invoice, payment=payment, detail=detail[:500], raw=raw or {},
            ), True
        if created:
            audit.record(actor, "receipt.flagged", f"{item.get_reason_display()}: {amount} ({reference or 'no reference'})"
                         f"{' on ' + invoice.number if invoice else ''}", target=item, data={"detail": detail[:500]})
    return item


def apply_ledger_receipt(*, source: str, external_id: str, invoice_external_id: str, invoice_number: str,
                         amount: Decimal, received_on: date, reference: str, raw: dict, actor="ledger-sync"):
    """Apply one payment the ledger reports. Idempotent per (source, external id); excess is flagged."""
    if Payment.objects.filter(source=source, external_id=external_id).exists():
        return None
    invoice = (Invoice.objects.filter(ledger_backend=source, external_id=invoice_external_id).first()
               if invoice_external_id else None) or Invoice.objects.filter(number=invoice_number).first()
    if invoice is None:
        if not INVOICE_NUMBER.fullmatch(invoice_number or ""):
            return None  # another system's invoice in the same organisation: not ours to reconcile
        return flag(reason=UnmatchedReceipt.Reason.UNMATCHED, source=source, external_id=external_id, amount=amount,
                    received_on=received_on, reference=reference or invoice_number, raw=raw, actor=actor,
                    detail=f"The ledger paid {invoice_number}, which EventChain does not know.")
    with transaction.atomic():
        invoice = _lock_invoice(invoice.pk)
        if Payment.objects.filter(source=source, external_id=external_id).exists():
            return None  # another worker applied it while we waited for the lock
        applied = min(amount, invoice.amount_due)
        payment = None
        if applied > 0:
            payment = _apply(invoice, amount=applied, received_on=received_on, reference=reference, source=source,
                             external_id=external_id, actor=actor)
        if amount > applied:
            flag(reason=UnmatchedReceipt.Reason.OVERPAYMENT, source=source, external_id=external_id,
                 amount=amount - applied, received_on=received_on, reference=reference, invoice=invoice,
                 payment=payment, raw=raw, actor=actor,
                 detail=f"The ledger received {amount} on {invoice.number} but only {applied} was due here.")
        return payment


def apply_ledger_balance(*, source: str, invoice_external_id: str, invoice_number: str, settled: Decimal,
                         modified_at, raw: dict, actor="ledger-sync"):
    """A ledger that reports settled amounts (Business Central) becomes receipts for the difference."""
    invoice = Invoice.objects.filter(ledger_backend=source, external_id=invoice_external_id).first()
    if invoice is None:
        return None
    credits = sum((cn.amount_applied for cn in invoice.credit_notes.all()), Decimal("0.00"))
    known = invoice.amount_paid + credits
    change = settled - known
    stamp = f"{invoice_external_id}@{modified_at.isoformat()}"
    if change > 0:
        return apply_ledger_receipt(source=source, external_id=stamp, invoice_external_id=invoice_external_id,
                                    invoice_number=invoice_number, amount=change,
                                    received_on=timezone.localdate(modified_at), reference=f"{source} {stamp}",
                                    raw=raw, actor=actor)
    if change < 0 and not invoice.credit_notes.filter(posted_at__isnull=True).exists():
        return flag(reason=UnmatchedReceipt.Reason.DISCREPANCY, source=source, external_id=stamp, amount=change,
                    received_on=timezone.localdate(modified_at), reference=invoice.number, invoice=invoice, raw=raw,
                    actor=actor, detail=f"The ledger shows {settled} settled on {invoice.number}; EventChain has "
                                        f"{known}. A payment may have been reversed in the ledger.")
    return None


def match_receipt(*, item_id: int, invoice_id: int, actor) -> Payment:
    """Staff: apply a queued unmatched receipt to the invoice it belongs to."""
    authorize(actor, "record_payments")
    with transaction.atomic():
        item = UnmatchedReceipt.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            raise NotFound("That queue item no longer exists.")
        if not item.is_open:
            raise StateConflict("This receipt was already dealt with.")
        if item.reason not in (UnmatchedReceipt.Reason.UNMATCHED, UnmatchedReceipt.Reason.OVERPAYMENT):
            raise StateConflict("Only receipts can be matched to an invoice; resolve this item with a note instead.")
        invoice = _lock_invoice(invoice_id)
        if invoice.status in (Invoice.Status.VOID, Invoice.Status.DRAFT):
            raise StateConflict(f"{invoice.number} is {invoice.get_status_display().lower()}; it takes no payments.")
        if item.amount > invoice.amount_due:
            raise ValidationFailed(f"{item.amount} is more than the {invoice.amount_due} due on {invoice.number}.",
                                   field="invoice")
        payment = _apply(invoice, amount=item.amount, received_on=item.received_on or timezone.localdate(),
                         reference=item.reference, source=item.source,
                         external_id=f"queue:{item.pk}", actor=actor)
        _resolve(item, actor, f"Applied to {invoice.number}")
        return payment


def resolve_item(*, item_id: int, actor, resolution: str) -> UnmatchedReceipt:
    authorize(actor, "record_payments")
    if not (resolution or "").strip():
        raise ValidationFailed("Say how it was resolved, e.g. 'Refunded by EFT 1234'.", field="resolution")
    with transaction.atomic():
        item = UnmatchedReceipt.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            raise NotFound("That queue item no longer exists.")
        if not item.is_open:
            raise StateConflict("This item was already resolved.")
        _resolve(item, actor, resolution.strip())
        return item


def _resolve(item: UnmatchedReceipt, actor, resolution: str) -> None:
    item.resolved_at = timezone.now()
    item.resolved_by = actor if getattr(actor, "pk", None) else None
    item.resolution = resolution[:300]
    item.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    audit.record(actor, "receipt.resolved", f"{item.get_reason_display()} {item.amount}: {resolution}", target=item)
