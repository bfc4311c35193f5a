"""Lane 04 API: read an invoice, record a receipt against it, and Xero's signed webhook."""

from datetime import date
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status

from eventchain.api.auth import needs_capability, require, staff_token
from eventchain.errors import NotFound, PermissionRefused
from eventchain.money import format_money
from eventchain.roles import has_capability, refusal_message

from . import queries, reconciliation, services
from .models import Invoice, Payment

router = Router(tags=["finance"], auth=staff_token)


class LineOut(Schema):
    description: str
    quantity: str
    unit_amount: str
    tax_amount: str
    line_amount: str


class LedgerOut(Schema):
    backend: str
    external_id: str | None
    sync: str


class InstallmentOut(Schema):
    label: str
    due_date: date
    amount: str
    amount_paid: str


class InvoiceOut(Schema):
    id: str
    number: str
    status: str
    currency: str
    subtotal: str
    tax: str
    total: str
    amount_due: str
    lines: list[LineOut]
    ledger: LedgerOut
    kind: str
    booking: str
    issue_date: date
    due_date: date
    po_number: str
    amount_paid: str
    amount_credited: str
    installments: list[InstallmentOut]


class InvoiceEnvelope(Schema):
    invoice: InvoiceOut


class PaymentIn(Schema):
    amount: Decimal = Field(..., description='Decimal string, e.g. "300.00".')
    date: date
    reference: str = Field("", max_length=200)


class ErrorItem(Schema):
    field: str | None
    message: str


class ErrorsOut(Schema):
    errors: list[ErrorItem]


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def invoice_payload(invoice: Invoice) -> dict:
    return {
        "id": str(invoice.pk), "number": invoice.number, "status": invoice.status, "currency": invoice.currency,
        "subtotal": format_money(invoice.subtotal), "tax": format_money(invoice.tax),
        "total": format_money(invoice.total), "amount_due": format_money(invoice.amount_due),
        "lines": [{"description": line.description, "quantity": _quantity(line.quantity),
                   "unit_amount": format_money(line.unit_amount), "tax_amount": format_money(line.tax_amount),
                   "line_amount": format_money(line.line_amount)} for line in invoice.lines.all()],
        "ledger": {"backend": invoice.ledger_backend, "external_id": invoice.external_id or None,
                   "sync": queries.sync_state(invoice)},
        "kind": invoice.kind, "booking": str(invoice.booking_id), "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "po_number": invoice.po_number,
        "amount_paid": format_money(invoice.amount_paid), "amount_credited": format_money(invoice.amount_credited),
        "installments": [{"label": i.label, "due_date": i.due_date, "amount": format_money(i.amount),
                          "amount_paid": format_money(i.amount_paid)} for i in invoice.installments.all()],
    }


def _invoice(invoice_id: str) -> Invoice:
    invoice = queries.api_invoice(int(invoice_id)) if invoice_id.isascii() and invoice_id.isdigit() \
        and len(invoice_id) < 19 else None
    if invoice is None:
        raise NotFound(f"No invoice has the id {invoice_id!r}.")
    return invoice


@router.get("/invoices/{id}",
            openapi_extra=needs_capability("manage_invoices", "record_payments"),
            response={200: InvoiceOut, 403: ErrorsOut, 404: ErrorsOut}, summary="An invoice")
def get_invoice(request: HttpRequest, id: str):  # noqa: A002 — named as in API.md
    if not (has_capability(request.auth, "manage_invoices") or has_capability(request.auth, "record_payments")):
        raise PermissionRefused(refusal_message("manage_invoices"))
    return invoice_payload(_invoice(id))


@router.post(
    "/invoices/{id}/payments", openapi_extra=needs_capability("record_payments"),
    response={201: InvoiceEnvelope, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
    summary="Record a receipt (built-in ledger)",
    description="Partial payments reduce `amount_due`; more than the amount due is refused (422). When the "
                "booking's deposit terms are met the booking becomes `released`. Invoices kept in Xero or "
                "Business Central answer 409: their receipts come from the ledger.",
)
def record_payment(request: HttpRequest, id: str, payload: PaymentIn):  # noqa: A002
    user = require(request, "record_payments")
    invoice = _invoice(id)
    services.record_payment(invoice_id=invoice.pk, amount=payload.amount, received_on=payload.date,
                            reference=payload.reference, actor=user, source=Payment.Source.API)
    return Status(201, {"invoice": invoice_payload(_invoice(id))})


@router.post(
    "/finance/xero/webhook", auth=None, response={200: None, 401: None}, summary="Xero webhook",
    description="Signed with `x-xero-signature` (base64 HMAC-SHA256 of the raw body with XERO_WEBHOOK_KEY). "
                "Answers 200 with an empty body when the signature is right (including Xero's intent-to-receive "
                "probe), 401 otherwise. Every delivery is stored raw; invoice events make EventChain re-read "
                "that invoice's payments from Xero.",
)
def xero_webhook(request: HttpRequest):
    delivery = reconciliation.receive_xero_webhook(raw_body=request.body, headers=request.headers)
    return HttpResponse(status=200 if delivery.signature_valid else 401)
