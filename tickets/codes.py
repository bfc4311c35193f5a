"""Ticket codes: `EC1:` + Base32 (uppercase, no padding) of a signed binary claim.

The claim is 25 bytes, big-endian:

    version u8 | key id u16 | event id u32 | ticket id u64 | generation u16 | valid-from u32 | valid-until u32

followed by the 64-byte Ed25519 signature of those 25 bytes with the event's key `key id`. The
result is 147 characters, all in the QR alphanumeric set, so it fits a version 6 QR code at level M.
The same string is printed in the PDF QR code and carried by the Apple and Google passes.

Pure: no Django. Keys come in as `cryptography` key objects; a scanner checks codes offline with
the public keys of the gate bundle.
"""

import base64
import binascii
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "EC1:"
VERSION = 1
_CLAIM = struct.Struct(">BHIQHII")
CLAIM_SIZE = _CLAIM.size
SIGNATURE_SIZE = 64
_ENCODED_LENGTH = -(-(CLAIM_SIZE + SIGNATURE_SIZE) * 8 // 5)
CODE_LENGTH = len(PREFIX) + _ENCODED_LENGTH
_PADDING = "=" * (-_ENCODED_LENGTH % 8)

# Window answers, the gate's vocabulary (API.md: gate scans).
VALID = "valid"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"


class CodeError(ValueError):
    """A string that is not a valid ticket code. `reason`: malformed, unknown_key or bad_signature."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TicketClaim:
    key_id: int
    event_id: int
    ticket_id: int
    generation: int
    valid_from: int
    valid_until: int
    version: int = VERSION

    def pack(self) -> bytes:
        try:
            return _CLAIM.pack(
                self.version, self.key_id, self.event_id, self.ticket_id, self.generation,
                self.valid_from, self.valid_until,
            )
        except struct.error as exc:
            raise ValueError(f"A claim field is out of range for the EC1 format: {exc}") from exc

    def window(self, now: int) -> str:
        """Where unix time `now` falls in the validity window: valid, not_yet_valid or expired."""
        if now < self.valid_from:
            return NOT_YET_VALID
        if now > self.valid_until:
            return EXPIRED
        return VALID


def encode(claim: TicketClaim, private_key: Ed25519PrivateKey) -> str:
    if claim.version != VERSION:
        raise ValueError(f"Only version {VERSION} codes can be made.")
    if claim.valid_until < claim.valid_from:
        raise ValueError("valid_until is before valid_from.")
    payload = claim.pack()
    signature = private_key.sign(payload)
    return PREFIX + base64.b32encode(payload + signature).decode("ascii").rstrip("=")


def decode(code: str) -> tuple[TicketClaim, bytes, bytes]:
    """Split a code into its claim, the signed bytes and the signature, WITHOUT checking the signature."""
    if not isinstance(code, str) or len(code) != CODE_LENGTH or not code.startswith(PREFIX):
        raise CodeError("malformed", "Not an EventChain ticket code (expected EC1: and 143 Base32 characters).")
    try:
        raw = base64.b32decode(code[len(PREFIX):] + _PADDING)
    except (binascii.Error, ValueError) as exc:
        raise CodeError("malformed", "The ticket code contains characters outside Base32.") from exc
    if base64.b32encode(raw).decode("ascii").rstrip("=") != code[len(PREFIX):]:
        # The last character carries 3 unused bits; only the spelling `encode` makes is a ticket code.
        raise CodeError("malformed", "The ticket code's last character is altered.")
    payload, signature = raw[:CLAIM_SIZE], raw[CLAIM_SIZE:]
    version, key_id, event_id, ticket_id, generation, valid_from, valid_until = _CLAIM.unpack(payload)
    if version != VERSION:
        raise CodeError("malformed", f"Ticket code version {version} is not supported.")
    claim = TicketClaim(
        key_id=key_id, event_id=event_id, ticket_id=ticket_id, generation=generation,
        valid_from=valid_from, valid_until=valid_until, version=version,
    )
    return claim, payload, signature


PublicKeyLookup = Callable[[int, int], Ed25519PublicKey | None]


def verify(code: str, public_key_for: PublicKeyLookup) -> TicketClaim:
    """The code's claim if its signature checks out with `public_key_for(event_id, key_id)`; else CodeError."""
    claim, payload, signature = decode(code)
    public_key = public_key_for(claim.event_id, claim.key_id)
    if public_key is None:
        raise CodeError("unknown_key", f"No signing key {claim.key_id} is known for this event.")
    try:
        public_key.verify(signature, payload)
    except InvalidSignature as exc:
        raise CodeError("bad_signature", "The ticket code's signature does not match; it was forged or altered.") from exc
    return claim


class Verifier:
    """Checks many codes against a fixed key set, e.g. a gate bundle: {(event_id, key_id): raw public key}."""

    def __init__(self, keys: Mapping[tuple[int, int], bytes | Ed25519PublicKey]):
        self._keys = {
            ident: key if isinstance(key, Ed25519PublicKey) else Ed25519PublicKey.from_public_bytes(key)
            for ident, key in keys.items()
        }

    def verify(self, code: str) -> TicketClaim:
        return verify(code, lambda event_id, key_id: self._keys.get((event_id, key_id)))
