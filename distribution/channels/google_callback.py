"""Google Wallet save/delete callbacks: verify Google's ECv2SigningOnly signature, then read the event.

Google POSTs `{"protocolVersion", "signature", "intermediateSigningKey": {"signedKey", "signatures"},
"signedMessage"}` to the class's callback URL. The intermediate key must be signed by one of Google's
root keys (published at GOOGLE_WALLET_CALLBACK_KEYS_URL), and the message by the intermediate key,
over length-prefixed strings ("GooglePayPasses", our issuer id, the protocol, the payload) — the
same checks Tink's PaymentMethodTokenRecipient makes. Pure apart from fetching the root keys.
"""

import base64
import json
import struct
import time
import urllib.request
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.core.cache import cache

SENDER_ID = "GooglePayPasses"
PROTOCOL = "ECv2SigningOnly"
ROOT_KEYS_URL = "https://pay.google.com/gp/m/issuer/keys"
CACHE_KEY = "distribution:google-wallet-root-keys"


class CallbackRefused(Exception):
    """The callback is not from Google (bad signature), expired, or malformed."""


@dataclass(frozen=True)
class WalletEvent:
    class_id: str
    object_id: str
    event_type: str  # "save" or "del"
    nonce: str


def length_value(*parts: str) -> bytes:
    return b"".join(struct.pack("<I", len(part.encode())) + part.encode() for part in parts)


def _verify(key_value: str, signature: str, data: bytes) -> bool:
    try:
        key = load_der_public_key(base64.b64decode(key_value))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(base64.b64decode(signature), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def root_keys() -> list[dict]:
    """Google's current root signing keys, cached for an hour."""
    keys = cache.get(CACHE_KEY)
    if keys is None:
        url = getattr(settings, "GOOGLE_WALLET_CALLBACK_KEYS_URL", "") or ROOT_KEYS_URL
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — a configured https or file URL
            keys = json.loads(response.read())["keys"]
        cache.set(CACHE_KEY, keys, 3600)
    return keys


def verify(body: bytes, *, issuer_id: str, keys: list[dict], now_ms: int | None = None) -> WalletEvent:
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    try:
        envelope = json.loads(body)
        intermediate = envelope["intermediateSigningKey"]
        signed_key = intermediate["signedKey"]
        signed_message = envelope["signedMessage"]
        protocol = envelope["protocolVersion"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CallbackRefused("Not a Google Wallet callback.") from exc
    if protocol != PROTOCOL:
        raise CallbackRefused(f"Unsupported protocol {protocol!r}.")
    live_roots = [key for key in keys if key.get("protocolVersion") == PROTOCOL
                  and int(key.get("keyExpiration") or now_ms + 1) > now_ms]
    key_data = length_value(SENDER_ID, protocol, signed_key)
    if not any(_verify(root["keyValue"], signature, key_data)
               for root in live_roots for signature in intermediate.get("signatures", [])):
        raise CallbackRefused("The intermediate key is not signed by a Google root key.")
    key = json.loads(signed_key)
    if int(key.get("keyExpiration", 0)) <= now_ms:
        raise CallbackRefused("The intermediate signing key has expired.")
    if not _verify(key["keyValue"], envelope.get("signature", ""),
                   length_value(SENDER_ID, issuer_id, protocol, signed_message)):
        raise CallbackRefused("The message signature does not verify.")
    message = json.loads(signed_message)
    if int(message.get("expTimeMillis", 0)) <= now_ms:
        raise CallbackRefused("The callback message has expired.")
    return WalletEvent(message.get("classId", ""), message.get("objectId", ""), message.get("eventType", ""),
                       message.get("nonce", ""))
