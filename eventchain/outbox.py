"""The outbox: every outbound side effect is a row written with the change, delivered by a worker.

Lanes register a handler per kind:

    @outbox.handler("email.ticket_bundle")
    def send_bundle(message): ...

A handler must be idempotent (it gets `message.idempotency_key` to pass to the vendor). It raises
`RetryLater` for a transient failure (optionally with the vendor's Retry-After) or `PermanentFailure`
when retrying cannot help; any other exception counts as transient.
"""

import logging
import random
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import audit
from .errors import StateConflict
from .models import OutboxAttempt, OutboxMessage
from .roles import authorize

log = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, Handler] = {}

# A row claimed longer ago than this belongs to a worker that died; it is claimed again.
CLAIM_TIMEOUT = timedelta(minutes=10)


class RetryLater(Exception):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Retrying cannot succeed (e.g. the vendor rejected the content); goes straight to dead."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        if kind in _handlers and _handlers[kind] is not func:
            raise ValueError(f"Outbox kind '{kind}' already has a handler")
        _handlers[kind] = func
        return func

    return register


def registered_kinds() -> list[str]:
    return sorted(_handlers)


def enqueue(kind: str, payload: dict, *, idempotency_key: str, target=None) -> OutboxMessage:
    """Write an outbox row in the caller's transaction; delivery starts once it commits.

    The same idempotency key returns the existing row, so a retried service call queues nothing twice.
    """
    object_type = target._meta.label_lower if target is not None else ""
    object_id = str(target.pk) if target is not None else ""
    with transaction.atomic():
        message, created = OutboxMessage.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"kind": kind, "payload": payload, "object_type": object_type, "object_id": object_id},
        )
    if created:
        from .tasks import deliver_outbox_message

        transaction.on_commit(lambda: deliver_outbox_message.delay(message.pk))
    return message


def backoff_delay(attempts: int) -> float:
    """Seconds before the next try: exponential with full jitter over its upper half, capped."""
    base = settings.EVENTCHAIN_OUTBOX_BASE_DELAY
    ceiling = min(settings.EVENTCHAIN_OUTBOX_MAX_DELAY, base * (2 ** max(attempts - 1, 0)))
    return random.uniform(ceiling / 2, ceiling)


def _due_filter(now):
    stale_claim = Q(status=OutboxMessage.Status.IN_FLIGHT, claimed_at__lt=now - CLAIM_TIMEOUT)
    due = Q(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED], next_attempt_at__lte=now)
    return due | stale_claim


def claim_due(limit: int = 50, only_id: int | None = None) -> list[int]:
    """Mark up to `limit` due rows in flight and return their ids. Rows another worker holds are skipped."""
    now = timezone.now()
    with transaction.atomic():
        rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(_due_filter(now))
        if only_id is not None:
            rows = rows.filter(pk=only_id)
        ids = list(rows.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(
                status=OutboxMessage.Status.IN_FLIGHT, claimed_at=now, updated_at=now
            )
    return ids


def process(message_id: int) -> OutboxMessage:
    """Run the handler for one claimed row and record the outcome."""
    message = OutboxMessage.objects.get(pk=message_id)
    started = timezone.now()
    attempt = message.attempts + 1
    func = _handlers.get(message.kind)
    error = ""
    retry_after = None
    permanent = False
    try:
        if func is None:
            raise PermanentFailure(f"No handler is registered for outbox kind '{message.kind}'.")
        func(message)
    except RetryLater as exc:
        error, retry_after = str(exc), exc.retry_after
    except PermanentFailure as exc:
        error, permanent = str(exc), True
    except Exception as exc:  # noqa: BLE001 — any vendor or network failure is retried, and logged
        log.warning("outbox %s #%s attempt %s failed: %s", message.kind, message.pk, attempt, exc)
        error = f"{type(exc).__name__}: {exc}"

    finished = timezone.now()
    message.attempts = attempt
    message.claimed_at = None
    message.last_error = error
    if not error:
        message.status = OutboxMessage.Status.DONE
        message.done_at = finished
    elif permanent or attempt >= settings.EVENTCHAIN_OUTBOX_MAX_ATTEMPTS:
        message.status = OutboxMessage.Status.DEAD
    else:
        message.status = OutboxMessage.Status.FAILED
        delay = retry_after if retry_after is not None else backoff_delay(attempt)
        message.next_attempt_at = finished + timedelta(seconds=delay)
    with transaction.atomic():
        message.save(update_fields=["attempts", "claimed_at", "last_error", "status", "done_at", "next_attempt_at",
                                    "updated_at"])
        OutboxAttempt.objects.create(
            message=message, number=attempt, started_at=started, finished_at=finished,
            succeeded=not error, error=error,
        )
        if message.status == OutboxMessage.Status.DEAD:
            audit.record(None, "outbox.dead", f"{message.kind} #{message.pk} gave up after {attempt} attempts",
                         target=message, data={"error": error[:1000]})
    return message


def dispatch_due(limit: int = 50) -> int:
    """Claim and process due rows; returns how many were processed."""
    ids = claim_due(limit)
    for message_id in ids:
        process(message_id)
    return len(ids)


def deliver_now(message_id: int) -> bool:
    """Try one row straight away if it is due and nobody else holds it."""
    ids = claim_due(limit=1, only_id=message_id)
    for claimed in ids:
        process(claimed)
    return bool(ids)


def requeue(*, actor, message_id: int, capability: str = "manage_outbox") -> OutboxMessage:
    """Staff action: give a failed or dead row a fresh set of attempts now.

    A lane re-queueing its own messages as part of one of its actions names that action's capability
    (finance's "retry sync" needs manage_invoices, not manage_outbox).
    """
    authorize(actor, capability)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.status not in {OutboxMessage.Status.FAILED, OutboxMessage.Status.DEAD}:
            raise StateConflict(
                f"Only failed or dead messages can be re-queued; this one is {message.get_status_display().lower()}."
            )
        previous = message.status
        message.status = OutboxMessage.Status.PENDING
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        audit.record(actor, "outbox.requeued", f"Re-queued {message.kind} #{message.pk} (was {previous})",
                     target=message, data={"last_error": message.last_error[:1000]})
        from .tasks import deliver_outbox_message

        transaction.on_commit(lambda: deliver_outbox_message.delay(message.pk))
    return message
