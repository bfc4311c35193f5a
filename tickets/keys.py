"""Per-event Ed25519 signing keys: created on first use, stored encrypted, rotated with old keys kept.

The private key is encrypted with `eventchain.crypto` (Fernet keyed from SECRET_KEY via HKDF).
Retired keys stay in the table: their public halves are in the gate bundle, so codes signed before
a rotation keep verifying until they are reissued or expire.
"""

import base64
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from eventchain import crypto

from . import codes
from .models import SigningKey

PURPOSE = "tickets.signing-key"


def _raw_public(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def create_key(event_id: int) -> SigningKey:
    """A new active key for the event; the caller retires the previous one in the same transaction."""
    private_key = Ed25519PrivateKey.generate()
    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    next_id = (SigningKey.objects.filter(event_id=event_id).aggregate(top=Max("key_id"))["top"] or 0) + 1
    return SigningKey.objects.create(
        event_id=event_id,
        key_id=next_id,
        public_key=base64.b64encode(_raw_public(private_key)).decode("ascii"),
        private_key_encrypted=crypto.encrypt_bytes(raw, purpose=PURPOSE),
    )


def active_key(event_id: int) -> SigningKey:
    """The event's current signing key, made on first use (safe against two first uses at once)."""
    key = SigningKey.objects.filter(event_id=event_id, retired_at__isnull=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return create_key(event_id)
    except IntegrityError:
        # Someone else made it first (one active key per event is a constraint).
        return SigningKey.objects.get(event_id=event_id, retired_at__isnull=True)


def rotate(event_id: int) -> SigningKey:
    with transaction.atomic():
        SigningKey.objects.select_for_update().filter(event_id=event_id, retired_at__isnull=True).update(
            retired_at=timezone.now()
        )
        return create_key(event_id)


@lru_cache(maxsize=256)
def _private(event_id: int, key_id: int, encrypted: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(crypto.decrypt_bytes(encrypted, purpose=PURPOSE))


def private_key(key: SigningKey) -> Ed25519PrivateKey:
    return _private(key.event_id, key.key_id, key.private_key_encrypted)


@lru_cache(maxsize=1024)
def _public(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded))


def public_keys(event_id: int) -> list[SigningKey]:
    return list(SigningKey.objects.filter(event_id=event_id).order_by("key_id"))


def sign(key: SigningKey, claim: codes.TicketClaim) -> str:
    if claim.key_id != key.key_id or claim.event_id != key.event_id:
        raise ValueError("The claim names a different event or key than the one signing it.")
    return codes.encode(claim, private_key(key))


def verify(code: str) -> codes.TicketClaim:
    """Check a code against the keys of the event it names (any of them, retired or not)."""

    def lookup(event_id: int, key_id: int):
        key = SigningKey.objects.filter(event_id=event_id, key_id=key_id).only("public_key").first()
        return _public(key.public_key) if key else None

    return codes.verify(code, lookup)


def verifier(event_id: int) -> codes.Verifier:
    """An offline verifier for one event's codes, as a scanner builds from the gate bundle."""
    return codes.Verifier({(event_id, key.key_id): _public(key.public_key) for key in public_keys(event_id)})
