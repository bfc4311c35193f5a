"""Checking a scanned string's signature with the event's public keys, cached in the process.

Signing keys are immutable once written (rotation adds a key, it never changes one), so a public key
found once is kept for the life of the process. A key not found is looked up again next time, and a
signature that fails against a cached key is checked once more against the stored key, so a cache
can never turn a genuine code away (e.g. after a test database reused an id).
"""

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tickets import codes
from tickets.models import SigningKey

_keys: dict[tuple[int, int], Ed25519PublicKey] = {}


def _stored(event_id: int, key_id: int) -> Ed25519PublicKey | None:
    encoded = SigningKey.objects.filter(event_id=event_id, key_id=key_id).values_list("public_key", flat=True).first()
    if encoded is None:
        _keys.pop((event_id, key_id), None)
        return None
    key = _keys[(event_id, key_id)] = Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded))
    return key


def public_key(event_id: int, key_id: int) -> Ed25519PublicKey | None:
    return _keys.get((event_id, key_id)) or _stored(event_id, key_id)


def verify(code: str) -> codes.TicketClaim:
    """The claim of a genuine code; raises tickets.codes.CodeError (reason and message) otherwise."""
    code = code.strip()
    try:
        return codes.verify(code, public_key)
    except codes.CodeError as exc:
        if exc.reason != "bad_signature":
            raise
        claim, _, _ = codes.decode(code)
        if (claim.event_id, claim.key_id) not in _keys:
            raise
        _stored(claim.event_id, claim.key_id)  # refresh the cached key, then judge once more
        return codes.verify(code, public_key)
