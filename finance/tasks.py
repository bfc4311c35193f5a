"""Finance Celery tasks: thin, idempotent, taking ids. Beat runs the pollers (eventchain/settings.py)."""

import logging

from celery import shared_task

from . import reconciliation
from .ledgers.base import LedgerError

log = logging.getLogger(__name__)


@shared_task(name="finance.tasks.poll_ledger_payments", ignore_result=True)
def poll_ledger_payments() -> int:
    return sum(reconciliation.poll(backend) for backend in reconciliation.backends_to_poll())


@shared_task(name="finance.tasks.process_ledger_webhook", ignore_result=True)
def process_ledger_webhook(delivery_id: int) -> int:
    try:
        return reconciliation.process_webhook(delivery_id)
    except LedgerError as exc:  # kept unprocessed with the error; the beat sweep tries again
        log.warning("ledger webhook %s not processed yet: %s", delivery_id, exc)
        return 0


@shared_task(name="finance.tasks.process_pending_webhooks", ignore_result=True)
def process_pending_webhooks() -> int:
    return sum(process_ledger_webhook(delivery_id) for delivery_id in reconciliation.pending_webhooks())
