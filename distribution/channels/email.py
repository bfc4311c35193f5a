"""The email channel: the outbox handler that composes a DeliveryMessage and hands it to SMTP.

Django's SMTP backend (settings EMAIL_HOST / EMAIL_PORT). What the server answers decides what
happens next: a connection failure or a 4xx reply is transient (the outbox retries with backoff);
a 5xx refusal of the recipient or the content is a bounce (kept, shown to staff, never retried).
"""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection

from eventchain import outbox
from eventchain.models import OutboxMessage

from ..compose import NothingToSend, compose
from ..models import DeliveryMessage, MessageStatus
from ..services import sending


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "retry", "bounce" or "fail"
    reason: str


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def classify(exc: Exception) -> Verdict:
    """Map an SMTP failure to retry (transient), bounce (5xx about this message) or fail (5xx about us)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        reason = "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in exc.recipients.items())
        if replies and all(code >= 500 for code, _ in replies):
            return Verdict("bounce", f"Recipient refused: {reason}")
        return Verdict("retry", f"Recipient deferred: {reason}")
    if isinstance(exc, smtplib.SMTPConnectError):
        return Verdict("retry", f"Could not connect to the mail server: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        if exc.smtp_code < 500 or isinstance(exc, smtplib.SMTPAuthenticationError):
            return Verdict("retry", f"Mail server deferred: {text}")
        if isinstance(exc, smtplib.SMTPDataError):
            return Verdict("bounce", f"Message refused: {text}")
        return Verdict("fail", f"Mail server refused ({type(exc).__name__}): {text}")
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Verdict("retry", f"Mail server unavailable: {type(exc).__name__}: {exc}")
    return Verdict("retry", f"{type(exc).__name__}: {exc}")


def transmit(email) -> None:
    """One SMTP session for one message (Django's backend, fail loudly)."""
    with get_connection(fail_silently=False) as connection:
        connection.send_messages([email])


def _last_attempt(row: OutboxMessage) -> bool:
    return row.attempts + 1 >= settings.EVENTCHAIN_OUTBOX_MAX_ATTEMPTS


@outbox.handler(sending.OUTBOX_KIND)
def deliver(row: OutboxMessage) -> None:
    message = DeliveryMessage.objects.select_related("booking").filter(pk=row.payload.get("delivery")).first()
    if message is None or message.status in (MessageStatus.DELIVERED, MessageStatus.BOUNCED):
        return  # already accepted or refused for good: sending again would duplicate it
    sending.mark_transmitting(message)
    try:
        composition = compose(message)
    except NothingToSend as exc:
        sending.mark_failed(message, reason=str(exc))
        raise outbox.PermanentFailure(str(exc)) from exc
    except Exception as exc:
        _retry(row, message, f"Could not build the email: {type(exc).__name__}: {exc}")
        raise
    try:
        transmit(composition.email)
    except Exception as exc:  # noqa: BLE001 — classified below
        verdict = classify(exc)
        if verdict.outcome == "bounce":
            sending.mark_bounced(message, reason=verdict.reason)
            raise outbox.PermanentFailure(verdict.reason) from exc
        if verdict.outcome == "fail":
            sending.mark_failed(message, reason=verdict.reason)
            raise outbox.PermanentFailure(verdict.reason) from exc
        _retry(row, message, verdict.reason)
        raise outbox.RetryLater(verdict.reason) from exc
    sending.mark_delivered(message, ticket_ids=composition.ticket_ids,
                           attachment_bytes=composition.attachment_bytes, attached=composition.attached)


def _retry(row: OutboxMessage, message: DeliveryMessage, reason: str) -> None:
    if _last_attempt(row):
        sending.mark_failed(message, reason=f"Gave up after {row.attempts + 1} attempts: {reason}")
    else:
        sending.mark_retrying(message, reason=reason)
