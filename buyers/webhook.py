"""Signing and checking CRM handoff deliveries: HMAC-SHA256 over "<timestamp>.<raw body>".

The CRM sends `X-EventChain-Timestamp: <unix seconds>` and
`X-EventChain-Signature: sha256=<hex>`; the secret is EVENTCHAIN_CRM_WEBHOOK_SECRET.
"""

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-EventChain-Timestamp"
SIGNATURE_HEADER = "X-EventChain-Signature"
MAX_SKEW_SECONDS = 300
SCHEME = "sha256="


class SignatureRejected(Exception):
    """The delivery cannot be shown to come from the CRM; the message says why (safe to return)."""


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp`: 'sha256=<hex>'."""
    message = str(timestamp).encode() + b"." + body
    return SCHEME + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(*, secret: str, timestamp: str | None, signature_header: str | None, body: bytes,
           now: float | None = None, max_skew: int = MAX_SKEW_SECONDS) -> None:
    """Raise SignatureRejected unless the signature matches and the timestamp is within `max_skew` seconds."""
    if not secret:
        raise SignatureRejected("The CRM webhook secret is not configured on this server.")
    if not timestamp or not signature_header:
        raise SignatureRejected(f"Send both {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers.")
    try:
        sent_at = int(timestamp.strip())
    except ValueError as exc:
        raise SignatureRejected(f"{TIMESTAMP_HEADER} must be Unix seconds, e.g. 1767225600.") from exc
    now = time.time() if now is None else now
    if abs(now - sent_at) > max_skew:
        raise SignatureRejected(
            f"{TIMESTAMP_HEADER} is more than {max_skew} s from the server clock; sign with the current time."
        )
    expected = signature(secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise SignatureRejected(
            f'{SIGNATURE_HEADER} does not match: expected "sha256=" + hex HMAC-SHA256 of "<timestamp>.<raw body>".'
        )
