"""Raising tax invoices and credit notes from manifests, and recording what the ledger said about them."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buyers import services as buyer_services
from buyers.models import Booking
from eventchain import audit, money, outbox
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.roles import authorize

from .. import documents, ledgers, numbering
from ..documents import PricedLine
from ..ledgers.base import PostResult
from ..models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceInstallment,
    InvoiceLine,
    LedgerBackend,
    UnmatchedReceipt,
)
from .settlement import refresh_status, release_if_terms_met

INVOICE_POST = "finance.invoice.post"
CREDIT_NOTE_POST = "finance.credit_note.post"


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


def _lock_booking(booking_id: int) -> Booking:
    return (Booking.objects.select_for_update(of=("self",)).select_related("billing_entity", "event__venue")
            .get(pk=booking_id))


def raise_from_manifest(*, manifest, previous, actor) -> Invoice | None:
    """Turn a published manifest into money: the first invoice, or the difference to what is billed.

    Returns the invoice the booking's confirmation should report: the new (possibly supplementary)
    invoice, or the original one when the new version only reduced or rearranged stock.
    """
    with transaction.atomic():
        booking = _lock_booking(manifest.booking_id)
        existing = Invoice.objects.filter(manifest=manifest).first()
        if existing is not None:
            return existing  # the same manifest published twice raises nothing new
        original = booking.invoices.filter(kind=Invoice.Kind.INVOICE).order_by("pk").first()
        target = documents.manifest_lines(manifest)
        if original is None:
            invoice = _create_invoice(booking, manifest, target, kind=Invoice.Kind.INVOICE, supplements=None,
                                      installments=booking.installments.all(), actor=actor)
        else:
            holdings = documents.net_billed(
                InvoiceLine.objects.filter(invoice__booking=booking),
                CreditNoteLine.objects.filter(credit_note__invoice__booking=booking).select_related("credit_note"),
            )
            changes = documents.changes(holdings, target, previous, manifest)
            for invoice_id, lines in sorted(changes.reductions.items()):
                if not _worth_anything(lines):
                    continue  # only comps went: nothing of value to credit
                _create_credit_note(Invoice.objects.select_for_update().get(pk=invoice_id), lines,
                                    reason=CreditNote.Reason.REDUCTION, manifest=manifest, actor=actor,
                                    note=f"Manifest v{manifest.version} holds less than was invoiced")
            invoice = original
            if _worth_anything(changes.additions):
                invoice = _create_invoice(booking, manifest, changes.additions, kind=Invoice.Kind.SUPPLEMENTARY,
                                          supplements=original, installments=[], actor=actor)
        if booking.status == BookingStatus.ALLOCATED:
            buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.INVOICED, actor=actor,
                                      summary=f"{booking.reference} invoiced: {invoice.number}",
                                      data={"invoice": invoice.pk, "manifest": manifest.pk})
        release_if_terms_met(booking_id=booking.pk, actor=actor)
        return invoice


def credit_cancelled_booking(*, booking, manifest, actor) -> list[CreditNote]:
    """A cancelled allocation credits everything still billed, one credit note per invoice."""
    with transaction.atomic():
        booking = _lock_booking(booking.pk)
        invoices = {i.pk: i for i in Invoice.objects.select_for_update().filter(booking=booking).order_by("pk")}
        if not invoices:
            return []
        holdings = documents.net_billed(
            InvoiceLine.objects.filter(invoice__booking=booking),
            CreditNoteLine.objects.filter(credit_note__invoice__booking=booking).select_related("credit_note"),
        )
        by_invoice: dict[int, list[PricedLine]] = {}
        for holding in holdings:
            by_invoice.setdefault(holding.invoice_id, []).append(holding.line)
        notes = [
            _create_credit_note(invoices[invoice_id], lines, reason=CreditNote.Reason.CANCELLATION,
                                manifest=manifest, actor=actor, note=f"{booking.reference} allocation cancelled")
            for invoice_id, lines in sorted(by_invoice.items()) if _worth_anything(lines)
        ]
        return notes


def _worth_anything(lines: list[PricedLine]) -> bool:
    return money.totals([line.money for line in lines]).total > 0


def _sync_or_post(document, kind: str, key: str) -> None:
    if ledgers.is_external(document.ledger_backend):
        outbox.enqueue(kind, {"id": document.pk}, idempotency_key=key, target=document)
    else:
        document.posted_at = timezone.now()


def _create_invoice(booking, manifest, lines: list[PricedLine], *, kind, supplements, installments, actor) -> Invoice:
    entity = booking.billing_entity
    if entity is None:
        raise ValidationFailed(
            f"{booking.reference} has no billing entity, and a tax invoice must name the buyer's legal entity and "
            "ABN. Add a billing entity to the booking in Buyers, then confirm again.",
            field="booking.billing_entity",
        )
    totals = money.totals([line.money for line in lines])
    issue = timezone.localdate()
    parts = documents.schedule(installments, totals.total, issue)
    backend = ledgers.active_backend()
    invoice = Invoice(
        number=numbering.next_number(settings.EVENTCHAIN_INVOICE_PREFIX), kind=kind, booking=booking,
        manifest=manifest, supplements=supplements, currency=money.currency(), issue_date=issue,
        due_date=parts[0].due_date, supplier_name=settings.EVENTCHAIN_SUPPLIER_NAME,
        supplier_tax_number=settings.EVENTCHAIN_SUPPLIER_TAX_NUMBER, billing_entity=entity,
        bill_to_name=entity.legal_name, bill_to_tax_number=entity.tax_number, bill_to_email=entity.email,
        bill_to_address=documents.bill_to_address(entity), po_number=booking.po_number, subtotal=totals.subtotal,
        tax=totals.tax, total=totals.total, amount_due=totals.total, ledger_backend=backend,
        status=Invoice.Status.DRAFT, created_by=_actor_user(actor),
    )
    invoice.save()
    InvoiceLine.objects.bulk_create(_line_rows(InvoiceLine, "invoice", invoice, lines))
    InvoiceInstallment.objects.bulk_create(
        InvoiceInstallment(invoice=invoice, position=index, label=part.label, due_date=part.due_date,
                           amount=part.amount)
        for index, part in enumerate(parts)
    )
    _sync_or_post(invoice, INVOICE_POST, f"{INVOICE_POST}:{invoice.number}")
    refresh_status(invoice)
    invoice.save()
    audit.record(actor, "invoice.raised", f"{invoice.title} {invoice.number} for {booking.reference}: "
                 f"{invoice.currency} {invoice.total} (manifest v{manifest.version})", target=invoice,
                 data={"booking": booking.pk, "manifest": manifest.pk, "total": str(invoice.total),
                       "ledger": backend, "kind": kind})
    return invoice


def _line_rows(model, owner_field: str, owner, lines: list[PricedLine]):
    return [
        model(**{owner_field: owner}, position=index, description=line.description[:500], quantity=line.quantity,
              unit_amount=line.unit_amount, tax_rate=line.tax_rate, tax_amount=line.tax_amount,
              line_amount=line.line_amount, account_code=line.account_code, tax_type=line.tax_type,
              package_id=line.package_id, is_comp=line.is_comp)
        for index, line in enumerate(lines)
    ]


def _create_credit_note(invoice: Invoice, lines: list[PricedLine], *, reason, manifest, actor, note) -> CreditNote:
    if not invoice.credit_notes.exists() and reason == CreditNote.Reason.CANCELLATION:
        # Nothing credited yet: credit the invoice's own lines so the totals match it to the cent.
        lines = [documents.line_from_row(row) for row in invoice.lines.all()]
    totals = money.totals([line.money for line in lines])
    applied = min(totals.total, invoice.amount_due)
    credit_note = CreditNote.objects.create(
        number=numbering.next_number(settings.EVENTCHAIN_CREDIT_NOTE_PREFIX), invoice=invoice, manifest=manifest,
        reason=reason, note=note[:300], issue_date=timezone.localdate(), subtotal=totals.subtotal, tax=totals.tax,
        total=totals.total, amount_applied=applied, ledger_backend=invoice.ledger_backend,
        created_by=_actor_user(actor),
    )
    CreditNoteLine.objects.bulk_create(_line_rows(CreditNoteLine, "credit_note", credit_note, lines))
    invoice.amount_credited += applied
    invoice.amount_due -= applied
    refresh_status(invoice)
    invoice.save(update_fields=["amount_credited", "amount_due", "status", "updated_at"])
    _sync_or_post(credit_note, CREDIT_NOTE_POST, f"{CREDIT_NOTE_POST}:{credit_note.number}")
    if credit_note.posted_at:
        credit_note.save(update_fields=["posted_at"])
    if totals.total > applied:
        UnmatchedReceipt.objects.create(
            reason=UnmatchedReceipt.Reason.REFUND_DUE, source=invoice.ledger_backend
            if invoice.ledger_backend != LedgerBackend.LOCAL else "console",
            amount=totals.total - applied, invoice=invoice, credit_note=credit_note,
            reference=credit_note.number,
            detail=f"{credit_note.number} credits {totals.total} but only {applied} was still owed on "
                   f"{invoice.number}; refund {totals.total - applied} to the buyer or keep it as credit.",
        )
    audit.record(actor, "credit_note.raised", f"Credit note {credit_note.number} for {invoice.number}: "
                 f"{invoice.currency} {credit_note.total} ({credit_note.get_reason_display().lower()})",
                 target=credit_note, data={"invoice": invoice.pk, "total": str(credit_note.total),
                                           "applied": str(applied)})
    return credit_note


def mark_posted(*, document, result: PostResult) -> None:
    """The ledger accepted an invoice or credit note: remember its id; flag totals that disagree."""
    with transaction.atomic():
        document = type(document).objects.select_for_update().get(pk=document.pk)
        if document.external_id == result.external_id and document.posted_at:
            return
        document.external_id = result.external_id
        document.posted_at = document.posted_at or timezone.now()
        fields = ["external_id", "posted_at"]
        if isinstance(document, Invoice):
            document.external_number = result.external_number[:40]
            fields += ["external_number", "status", "sync_note", "updated_at"]
            refresh_status(document)
            if result.total is not None and result.total != document.total:
                document.sync_note = (f"The ledger totals {result.total}, EventChain {document.total}: check the "
                                      "tax types and account codes of the packages.")
                _flag_total_mismatch(document, result.total)
        document.save(update_fields=fields)
        label = "invoice" if isinstance(document, Invoice) else "credit_note"
        audit.record("ledger-sync", f"{label}.posted", f"{document.number} is in {document.get_ledger_backend_display()}"
                     f" as {result.external_number or result.external_id}", target=document,
                     data={"external_id": result.external_id})


def _flag_total_mismatch(invoice: Invoice, ledger_total: Decimal) -> None:
    UnmatchedReceipt.objects.get_or_create(
        source=invoice.ledger_backend, external_id=f"total:{invoice.external_id}",
        reason=UnmatchedReceipt.Reason.DISCREPANCY,
        defaults={"amount": ledger_total - invoice.total, "invoice": invoice, "reference": invoice.number,
                  "detail": invoice.sync_note},
    )


def sync_messages(invoice: Invoice):
    """The invoice's outbox rows and those of its credit notes, newest first."""
    from eventchain.models import OutboxMessage

    credit_ids = [str(pk) for pk in invoice.credit_notes.values_list("pk", flat=True)]
    return OutboxMessage.objects.filter(
        object_type="finance.invoice", object_id=str(invoice.pk)
    ) | OutboxMessage.objects.filter(object_type="finance.creditnote", object_id__in=credit_ids)


def retry_sync(*, actor, invoice_id: int) -> int:
    """Staff: give the invoice's failed or dead ledger messages a fresh set of attempts."""
    authorize(actor, "manage_invoices")
    from eventchain.models import OutboxMessage

    invoice = Invoice.objects.get(pk=invoice_id)
    stuck = list(sync_messages(invoice).filter(status__in=[OutboxMessage.Status.FAILED, OutboxMessage.Status.DEAD]))
    if not stuck:
        raise StateConflict(f"Nothing to retry: {invoice.number}'s ledger messages are delivered or still on their "
                            "way.")
    for message in stuck:
        outbox.requeue(actor=actor, message_id=message.pk, capability="manage_invoices")
    return len(stuck)
