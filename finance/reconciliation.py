"""Reading payments back from the ledgers: beat polling and webhook hints, both applied idempotently.

Polling asks for what changed since the last cursor (Xero If-Modified-Since, Business Central
lastModifiedDateTime); the cursor is kept a little behind the poll's start so clock skew between us
and the vendor loses nothing, and applying the same receipt twice does nothing the second time.
"""

import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import ledgers, services
from .ledgers.base import LedgerError, PaymentFeed
from .models import Invoice, LedgerBackend, LedgerConnection, LedgerSyncState, LedgerWebhook

log = logging.getLogger(__name__)
CURSOR_OVERLAP = timedelta(minutes=2)
WEBHOOK_RETRY_WINDOW = timedelta(days=2)


def apply_feed(backend: str, feed: PaymentFeed) -> int:
    applied = 0
    for receipt in feed.receipts:
        result = services.apply_ledger_receipt(
            source=backend, external_id=receipt.external_id, invoice_external_id=receipt.invoice_external_id,
            invoice_number=receipt.invoice_number, amount=receipt.amount, received_on=receipt.received_on,
            reference=receipt.reference, raw=receipt.raw,
        )
        applied += result is not None
    for balance in feed.balances:
        result = services.apply_ledger_balance(
            source=backend, invoice_external_id=balance.invoice_external_id, invoice_number=balance.invoice_number,
            settled=balance.settled, modified_at=balance.modified_at, raw=balance.raw,
        )
        applied += result is not None
    return applied


def backends_to_poll() -> list[str]:
    """External ledgers in use or still holding invoices with money owing."""
    owing = set(Invoice.objects.filter(amount_due__gt=0, posted_at__isnull=False)
                .exclude(ledger_backend=LedgerBackend.LOCAL).values_list("ledger_backend", flat=True).distinct())
    active = ledgers.active_backend()
    if ledgers.is_external(active):
        owing.add(active)
    return sorted(owing)


def poll(backend: str) -> int:
    """One polling pass for `backend`; returns how many receipts or balance changes were applied."""
    state, _ = LedgerSyncState.objects.get_or_create(backend=backend)
    started = timezone.now()
    try:
        feed = ledgers.get_ledger(backend).fetch_payments(state.cursor)
        applied = apply_feed(backend, feed)
    except LedgerError as exc:
        LedgerSyncState.objects.filter(pk=state.pk).update(last_polled_at=started, last_error=str(exc)[:2000])
        log.warning("payment poll of %s failed: %s", backend, exc)
        return 0
    LedgerSyncState.objects.filter(pk=state.pk).update(
        cursor=started - CURSOR_OVERLAP, last_polled_at=started, last_error="",
        receipts_applied=state.receipts_applied + applied,
    )
    return applied


# -- Xero webhooks ------------------------------------------------------------------------------------------
def xero_signature_valid(raw_body: bytes, signature: str) -> bool:
    """x-xero-signature is base64(HMAC-SHA256(webhook key, raw body)); compared in constant time."""
    key = settings.XERO_WEBHOOK_KEY
    if not key or not signature:
        return False
    expected = base64.b64encode(hmac.new(key.encode(), raw_body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


def receive_xero_webhook(*, raw_body: bytes, headers) -> LedgerWebhook:
    """Store the delivery raw first, then judge it; valid events are processed after commit."""
    valid = xero_signature_valid(raw_body, headers.get("x-xero-signature", ""))
    try:
        events = json.loads(raw_body or b"{}").get("events", []) if valid else []
    except (ValueError, AttributeError):
        events = []
    with transaction.atomic():
        delivery = LedgerWebhook.objects.create(
            backend=LedgerBackend.XERO, raw_body=raw_body, signature_valid=valid, event_count=len(events),
            headers={k: v for k, v in headers.items() if k.lower() not in {"authorization", "cookie"}},
            processed_at=None if events else timezone.now(),  # the intent-to-receive probe needs no work
        )
        if events:
            from .tasks import process_ledger_webhook

            transaction.on_commit(lambda: process_ledger_webhook.delay(delivery.pk))
    return delivery


def process_webhook(delivery_id: int) -> int:
    """Treat each invoice event as a hint: re-read that invoice's payments from Xero and apply them."""
    delivery = LedgerWebhook.objects.filter(pk=delivery_id, signature_valid=True, processed_at__isnull=True).first()
    if delivery is None:
        return 0
    tenant = LedgerConnection.objects.filter(backend=LedgerBackend.XERO).values_list("tenant_id", flat=True).first()
    events = json.loads(bytes(delivery.raw_body)).get("events", [])
    ledger = ledgers.get_ledger(LedgerBackend.XERO)
    applied = 0
    try:
        invoice_ids = {e.get("resourceId") for e in events
                       if e.get("eventCategory") == "INVOICE" and (not tenant or e.get("tenantId") == tenant)}
        for invoice_id in sorted(filter(None, invoice_ids)):
            applied += apply_feed(LedgerBackend.XERO, ledger.fetch_invoice_payments(invoice_id))
    except LedgerError as exc:
        LedgerWebhook.objects.filter(pk=delivery.pk).update(error=str(exc)[:2000])
        raise
    LedgerWebhook.objects.filter(pk=delivery.pk).update(processed_at=timezone.now(), error="")
    return applied


def pending_webhooks() -> list[int]:
    since = timezone.now() - WEBHOOK_RETRY_WINDOW
    return list(LedgerWebhook.objects.filter(Q(signature_valid=True), processed_at__isnull=True,
                                             received_at__gte=since).values_list("pk", flat=True)[:100])
