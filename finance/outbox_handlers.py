"""Outbox handlers that send invoices and credit notes to the external ledger they were raised for."""

from eventchain import outbox

from . import ledgers, services
from .ledgers.base import LedgerRejected, LedgerUnavailable
from .models import CreditNote, Invoice
from .services.invoicing import CREDIT_NOTE_POST, INVOICE_POST

WAIT_FOR_INVOICE = 30  # seconds: a credit note follows its invoice into the ledger


def _send(post, message):
    # A message re-queued by staff starts again at attempt 0 but may have reached the ledger before.
    retrying = message.attempts > 0 or message.attempt_log.exists()
    try:
        return post(idempotency_key=message.idempotency_key, retrying=retrying)
    except LedgerUnavailable as exc:
        raise outbox.RetryLater(str(exc), retry_after=exc.retry_after) from exc
    except LedgerRejected as exc:
        raise outbox.PermanentFailure(str(exc)) from exc


@outbox.handler(INVOICE_POST)
def post_invoice(message):
    invoice = Invoice.objects.select_related("billing_entity").get(pk=message.payload["id"])
    if invoice.posted_at and invoice.external_id:
        return  # delivered before; a re-queued message must not post twice
    ledger = ledgers.get_ledger(invoice.ledger_backend)
    result = _send(lambda **kw: ledger.post_invoice(invoice, **kw), message)
    services.mark_posted(document=invoice, result=result)


@outbox.handler(CREDIT_NOTE_POST)
def post_credit_note(message):
    credit_note = CreditNote.objects.select_related("invoice__billing_entity").get(pk=message.payload["id"])
    if credit_note.posted_at and credit_note.external_id:
        return
    if not credit_note.invoice.external_id:
        raise outbox.RetryLater(f"Waiting for {credit_note.invoice.number} to reach the ledger first",
                                retry_after=WAIT_FOR_INVOICE)
    ledger = ledgers.get_ledger(credit_note.ledger_backend)
    result = _send(lambda **kw: ledger.post_credit_note(credit_note, **kw), message)
    services.mark_posted(document=credit_note, result=result)
