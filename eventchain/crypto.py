"""Secrets at rest: symmetric encryption keyed from SECRET_KEY.

Any lane storing a credential or private key (ticket signing keys, ledger tokens) encrypts it here.
The Fernet key is derived with HKDF so SECRET_KEY itself never encrypts anything directly, and a
different `purpose` gives an unrelated key. Rotating SECRET_KEY makes stored secrets unreadable:
list the old key in SECRET_KEY_FALLBACKS and they still decrypt (and re-encrypt on next write).
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

DEFAULT_PURPOSE = "eventchain.secrets"


class DecryptionFailed(Exception):
    """The ciphertext was not made with this installation's SECRET_KEY (or fallbacks), or was altered."""


def _derive(secret: str, purpose: str) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"eventchain-crypto-v1", info=purpose.encode())
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret.encode())))


@lru_cache(maxsize=16)
def _fernet(secret_key: str, fallbacks: tuple[str, ...], purpose: str) -> MultiFernet:
    return MultiFernet([_derive(secret, purpose) for secret in (secret_key, *fallbacks)])


def _current(purpose: str) -> MultiFernet:
    fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ())
    return _fernet(settings.SECRET_KEY, fallbacks, purpose)


def encrypt_bytes(data: bytes, *, purpose: str = DEFAULT_PURPOSE) -> str:
    return _current(purpose).encrypt(data).decode("ascii")


def decrypt_bytes(token: str, *, purpose: str = DEFAULT_PURPOSE) -> bytes:
    try:
        return _current(purpose).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError) as exc:
        raise DecryptionFailed(
            "A stored secret could not be decrypted: SECRET_KEY changed without listing the old key in "
            "SECRET_KEY_FALLBACKS, or the value was altered."
        ) from exc


def encrypt_text(text: str, *, purpose: str = DEFAULT_PURPOSE) -> str:
    return encrypt_bytes(text.encode("utf-8"), purpose=purpose)


def decrypt_text(token: str, *, purpose: str = DEFAULT_PURPOSE) -> str:
    return decrypt_bytes(token, purpose=purpose).decode("utf-8")
