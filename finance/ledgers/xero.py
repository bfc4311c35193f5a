"""Xero through the official xero-python SDK: contacts, ACCREC invoices, credit notes, allocations, payments.

Every call goes through `_call`, which spends the organisation's rate budget, sends an
Idempotency-Key on creates, and sorts failures into "try again later" (429 with Retry-After, 5xx,
timeouts, an expired token after one refresh) and "Xero refused this" (400 with Xero's message).
A retry first looks the document up by our number, because a timed-out create may have succeeded.
"""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import urllib3
from django.conf import settings
from django.utils import timezone
from xero_python.accounting import (
    AccountingApi,
    Address,
    Allocation,
    Allocations,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
)
from xero_python.api_client.serializer import serialize
from xero_python.exceptions import (
    ApiException,
    BadRequestException,
    HTTPStatusException,
    NotFoundException,
    OpenApiException,
    RateLimitException,
)

from .base import (
    ConnectionCheck,
    Ledger,
    LedgerReceipt,
    LedgerRejected,
    LedgerUnavailable,
    PaymentFeed,
    PostResult,
)
from .ratelimit import Limiter
from .xero_auth import XeroAuthFailed, api_client

PAGE_SIZE = 100
RECONNECT_WAIT = 900  # seconds between tries while Xero needs staff to reconnect it


def _decimal(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _header(headers, name: str):
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _content_key(key: str, document) -> str:
    """The outbox key plus a digest of what is sent: a retry of the same request replays Xero's first answer,
    while a document corrected after Xero refused it is a new request (Xero replays refusals too)."""
    body = json.dumps(serialize(document), sort_keys=True, default=str).encode()
    return f"{key}-{hashlib.sha256(body).hexdigest()[:16]}"[:128]


def _xero_message(exc: BadRequestException) -> str:
    try:
        data = exc.error_data
    except ValueError:
        return f"Xero refused the request ({exc.status})."
    messages = [e["Message"] for el in data.get("Elements", []) for e in el.get("ValidationErrors", [])]
    return "Xero refused it: " + ("; ".join(messages) or data.get("Message") or "no reason given")


class XeroLedger(Ledger):
    backend = "xero"
    label = "Xero"

    def __init__(self):
        self._api: AccountingApi | None = None
        self._tenant = ""

    # -- plumbing -----------------------------------------------------------------------------------------
    def _connect(self, *, force_refresh: bool = False) -> AccountingApi:
        from ..services import connections

        try:
            token, tenant = connections.fresh_xero_token(force=force_refresh)
        except XeroAuthFailed as exc:
            raise LedgerUnavailable(f"{exc} (Finance › Ledger)", retry_after=RECONNECT_WAIT) from exc
        self._tenant = tenant
        self._api = AccountingApi(api_client(token), base_url=f"{settings.XERO_API_BASE_URL}/api.xro/2.0")
        return self._api

    def _limiter(self) -> Limiter:
        return Limiter(f"xero:{self._tenant}", concurrent=5, per_minute=60)

    def _call(self, method: str, *args, lookup: bool = False, **kwargs):
        api = self._api or self._connect()
        for attempt in (1, 2):
            limiter = self._limiter()
            with limiter.slot():
                try:
                    result = getattr(api, method)(self._tenant, *args, **kwargs,
                                                  _request_timeout=(settings.EVENTCHAIN_LEDGER_TIMEOUT,) * 2)
                except RateLimitException as exc:
                    wait = float(_header(exc.headers, "Retry-After") or 60)
                    limiter.pause(wait)
                    raise LedgerUnavailable(f"Xero rate limit ({exc.rate_limit or 'unknown'}) reached",
                                            retry_after=wait) from exc
                except NotFoundException as exc:
                    if lookup:
                        return None
                    raise LedgerRejected(f"Xero has no such record ({method}).") from exc
                except BadRequestException as exc:
                    raise LedgerRejected(_xero_message(exc)) from exc
                except HTTPStatusException as exc:
                    if exc.status == 401 and attempt == 1:
                        api = self._connect(force_refresh=True)  # expired or revoked: refresh once, then retry
                        continue
                    if exc.status in (401, 403):
                        raise LedgerUnavailable("Xero refused EventChain's access to the organisation; reconnect "
                                                "Xero in Finance › Ledger", retry_after=RECONNECT_WAIT) from exc
                    if exc.status and exc.status >= 500:
                        retry = _header(exc.headers, "Retry-After")
                        raise LedgerUnavailable(f"Xero answered {exc.status}",
                                                retry_after=float(retry) if retry else None) from exc
                    raise LedgerRejected(f"Xero answered {exc.status}: {str(exc.body)[:300]}") from exc
                except (urllib3.exceptions.HTTPError, OSError, ApiException) as exc:
                    raise LedgerUnavailable(f"Xero did not answer in time ({type(exc).__name__})") from exc
                self._honour_remaining(limiter, getattr(api.api_client.last_response, "getheaders", dict)())
                return result
        raise LedgerUnavailable("Xero kept refusing the refreshed token", retry_after=RECONNECT_WAIT)

    @staticmethod
    def _honour_remaining(limiter: Limiter, headers) -> None:
        """Xero reports what is left of the minute and day budgets; stop before it has to say 429."""
        minute, day = _header(headers, "X-MinLimit-Remaining"), _header(headers, "X-DayLimit-Remaining")
        if day is not None and int(day) <= 0:
            limiter.pause(3600)
        elif minute is not None and int(minute) <= 0:
            limiter.pause(60 - datetime.now(UTC).second)

    # -- contacts -----------------------------------------------------------------------------------------
    def _contact_id(self, entity) -> str:
        from ..services import connections

        contact = Contact(
            contact_number=str(entity.pk), name=entity.legal_name, tax_number=entity.tax_number or None,
            email_address=entity.email or None,
            addresses=[Address(address_type="STREET", address_line1=entity.address_line1,
                               address_line2=entity.address_line2 or None, city=entity.city,
                               region=entity.region or None, postal_code=entity.postcode, country=entity.country)],
        )
        known = connections.ledger_contact_id(entity=entity, backend=self.backend, tenant_id=self._tenant)
        if known is None:
            found = self._call("get_contact_by_contact_number", str(entity.pk), lookup=True)
            known = found.contacts[0].contact_id if found and found.contacts else None
        if known:
            contact.contact_id = known
            saved = self._call("update_or_create_contacts", Contacts(contacts=[contact]))
        else:
            saved = self._call("create_contacts", Contacts(contacts=[contact]),
                               idempotency_key=f"contact-{self._tenant}-{entity.pk}")
        contact_id = str(saved.contacts[0].contact_id)
        connections.remember_ledger_contact(entity=entity, backend=self.backend, tenant_id=self._tenant,
                                            external_id=contact_id)
        return contact_id

    @staticmethod
    def _line_items(lines) -> list[LineItem]:
        return [LineItem(description=line.description, quantity=line.quantity, unit_amount=line.unit_amount,
                         line_amount=line.line_amount, account_code=line.account_code, tax_type=line.tax_type)
                for line in lines]

    # -- invoices -----------------------------------------------------------------------------------------
    def post_invoice(self, invoice, *, idempotency_key: str, retrying: bool) -> PostResult:
        self._connect()
        if invoice.billing_entity is None:
            raise LedgerRejected(f"{invoice.number} has no billing entity to send to Xero as the contact.")
        if retrying:
            found = self._call("get_invoices", invoice_numbers=[invoice.number])
            if found and found.invoices:
                existing = found.invoices[0]
                return PostResult(str(existing.invoice_id), existing.invoice_number, _decimal(existing.total))
        contact_id = self._contact_id(invoice.billing_entity)
        document = Invoice(
            type="ACCREC", status="AUTHORISED", contact=Contact(contact_id=contact_id),
            invoice_number=invoice.number, reference=invoice.po_number or None, date=invoice.issue_date,
            due_date=invoice.due_date, line_amount_types=LineAmountTypes.EXCLUSIVE,
            currency_code=CurrencyCode(invoice.currency), line_items=self._line_items(invoice.lines.all()),
        )
        batch = Invoices(invoices=[document])
        saved = self._call("create_invoices", batch, idempotency_key=_content_key(idempotency_key, batch))
        created = saved.invoices[0]
        return PostResult(str(created.invoice_id), created.invoice_number, _decimal(created.total))

    def post_credit_note(self, credit_note, *, idempotency_key: str, retrying: bool) -> PostResult:
        self._connect()
        invoice = credit_note.invoice
        note = None
        if retrying:
            found = self._call("get_credit_notes", where=f'CreditNoteNumber=="{credit_note.number}"')
            note = found.credit_notes[0] if found and found.credit_notes else None
        if note is None:
            document = CreditNote(
                type="ACCRECCREDIT", status="AUTHORISED",
                contact=Contact(contact_id=self._contact_id(invoice.billing_entity)),
                credit_note_number=credit_note.number, reference=invoice.number, date=credit_note.issue_date,
                line_amount_types=LineAmountTypes.EXCLUSIVE, currency_code=CurrencyCode(invoice.currency),
                line_items=self._line_items(credit_note.lines.all()),
            )
            batch = CreditNotes(credit_notes=[document])
            saved = self._call("create_credit_notes", batch, idempotency_key=_content_key(idempotency_key, batch))
            note = saved.credit_notes[0]
        self._allocate(str(note.credit_note_id), _decimal(note.remaining_credit), invoice.external_id, idempotency_key)
        return PostResult(str(note.credit_note_id), credit_note.number, _decimal(note.total))

    def _allocate(self, note_id: str, remaining: Decimal, invoice_id: str, idempotency_key: str) -> None:
        """Apply the credit to the invoice for as much as Xero still shows outstanding (the rest is a refund)."""
        target = self._call("get_invoice", invoice_id).invoices[0]
        amount = min(remaining, _decimal(target.amount_due))
        if amount <= 0:
            return
        allocation = Allocation(invoice=Invoice(invoice_id=invoice_id), amount=amount, date=timezone.localdate())
        self._call("create_credit_note_allocation", note_id, Allocations(allocations=[allocation]),
                   idempotency_key=f"{idempotency_key}-allocation")

    # -- payments -----------------------------------------------------------------------------------------
    def _receipts(self, payments) -> list[LedgerReceipt]:
        found = []
        for payment in payments or []:
            if (payment.status or "AUTHORISED") != "AUTHORISED" or payment.invoice is None:
                continue
            if (payment.payment_type or "ACCRECPAYMENT") != "ACCRECPAYMENT":
                continue
            found.append(LedgerReceipt(
                external_id=str(payment.payment_id), invoice_external_id=str(payment.invoice.invoice_id or ""),
                invoice_number=payment.invoice.invoice_number or "", amount=_decimal(payment.amount),
                received_on=payment.date or timezone.localdate(), reference=payment.reference or "",
                raw={"PaymentID": str(payment.payment_id), "Amount": str(payment.amount)},
            ))
        return found

    def fetch_payments(self, since) -> PaymentFeed:
        self._connect()
        feed, page = PaymentFeed(), 1
        while True:
            kwargs = {"page": page}
            if since is not None:
                kwargs["if_modified_since"] = since
            result = self._call("get_payments", **kwargs)
            payments = result.payments if result else []
            feed.receipts.extend(self._receipts(payments))
            if len(payments or []) < PAGE_SIZE:
                return feed
            page += 1

    def fetch_invoice_payments(self, external_id: str) -> PaymentFeed:
        self._connect()
        result = self._call("get_invoice", external_id, lookup=True)
        if not result or not result.invoices:
            return PaymentFeed()
        invoice = result.invoices[0]
        receipts = [
            LedgerReceipt(external_id=str(p.payment_id), invoice_external_id=str(invoice.invoice_id),
                          invoice_number=invoice.invoice_number or "", amount=_decimal(p.amount),
                          received_on=p.date or timezone.localdate(), reference=p.reference or "",
                          raw={"PaymentID": str(p.payment_id), "Amount": str(p.amount)})
            for p in invoice.payments or []
        ]
        return PaymentFeed(receipts=receipts)

    def check_connection(self) -> ConnectionCheck:
        try:
            self._connect()
            organisations = self._call("get_organisations").organisations
        except (LedgerUnavailable, LedgerRejected, OpenApiException) as exc:
            return ConnectionCheck(False, str(exc))
        name = organisations[0].name if organisations else self._tenant
        return ConnectionCheck(True, f"Connected to the Xero organisation {name}.")
