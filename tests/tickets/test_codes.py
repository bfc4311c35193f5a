"""EC1 codes: format, signatures, validity window, per-event keys encrypted at rest, rotation."""

import base64
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventchain import crypto
from tickets import codes, keys
from tickets.models import SigningKey

CLAIM = codes.TicketClaim(key_id=3, event_id=12, ticket_id=98765, generation=2, valid_from=1_800_000_000,
                          valid_until=1_800_090_000)


def test_code_format_and_round_trip():
    key = Ed25519PrivateKey.generate()
    code = codes.encode(CLAIM, key)
    assert code.startswith("EC1:") and len(code) == codes.CODE_LENGTH == 147
    assert re.fullmatch(r"EC1:[A-Z2-7]+", code), "uppercase Base32, no padding"
    claim = codes.verify(code, lambda event_id, key_id: key.public_key() if (event_id, key_id) == (12, 3) else None)
    assert claim == CLAIM


def test_every_altered_character_is_caught():
    key = Ed25519PrivateKey.generate()
    code = codes.encode(CLAIM, key)
    verifier = codes.Verifier({(12, 3): key.public_key()})
    for position in range(4, len(code), 7):
        swapped = "A" if code[position] != "A" else "B"
        forged = code[:position] + swapped + code[position + 1:]
        with pytest.raises(codes.CodeError) as caught:
            verifier.verify(forged)
        assert caught.value.reason in {"bad_signature", "unknown_key", "malformed"}


def test_wrong_key_unknown_key_and_malformed():
    code = codes.encode(CLAIM, Ed25519PrivateKey.generate())
    with pytest.raises(codes.CodeError) as caught:
        codes.Verifier({(12, 3): Ed25519PrivateKey.generate().public_key()}).verify(code)
    assert caught.value.reason == "bad_signature"
    with pytest.raises(codes.CodeError) as caught:
        codes.Verifier({}).verify(code)
    assert caught.value.reason == "unknown_key"
    for junk in ("", "EC1:", "EC2:" + code[4:], code.lower(), code + "A", code[:-1] + "1"):
        with pytest.raises(codes.CodeError) as caught:
            codes.Verifier({}).verify(junk)
        assert caught.value.reason in {"malformed", "unknown_key"}


def test_validity_window():
    assert CLAIM.window(CLAIM.valid_from - 1) == codes.NOT_YET_VALID
    assert CLAIM.window(CLAIM.valid_from) == codes.VALID
    assert CLAIM.window(CLAIM.valid_until) == codes.VALID
    assert CLAIM.window(CLAIM.valid_until + 1) == codes.EXPIRED


def test_crypto_helper_round_trip_and_key_fallback(settings):
    token = crypto.encrypt_text("hunter2")
    assert "hunter2" not in token and crypto.decrypt_text(token) == "hunter2"
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(token)
    settings.SECRET_KEY_FALLBACKS = [old]
    assert crypto.decrypt_text(token) == "hunter2"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(token, purpose="something-else")


@pytest.mark.django_db
def test_event_keys_are_encrypted_at_rest_and_rotation_keeps_old_codes_valid(catalogue):
    event = catalogue["GF2026"]
    first = keys.active_key(event.pk)
    assert keys.active_key(event.pk).pk == first.pk  # made once
    raw_private = keys.private_key(first).private_bytes_raw()
    stored = SigningKey.objects.get(pk=first.pk).private_key_encrypted
    assert raw_private not in stored.encode() and base64.b64encode(raw_private).decode() not in stored
    old_code = keys.sign(first, codes.TicketClaim(key_id=first.key_id, event_id=event.pk, ticket_id=1, generation=1,
                                                  valid_from=0, valid_until=2_000_000_000))
    second = keys.rotate(event.pk)
    assert second.key_id == first.key_id + 1 and keys.active_key(event.pk).pk == second.pk
    first.refresh_from_db()
    assert first.retired_at is not None
    new_code = keys.sign(second, codes.TicketClaim(key_id=second.key_id, event_id=event.pk, ticket_id=1,
                                                   generation=2, valid_from=0, valid_until=2_000_000_000))
    assert keys.verify(old_code).key_id == first.key_id
    assert keys.verify(new_code).key_id == second.key_id
    verifier = keys.verifier(event.pk)
    assert verifier.verify(old_code).generation == 1 and verifier.verify(new_code).generation == 2
    # another event's key does not verify this event's codes
    other = keys.active_key(catalogue["SF2026"].pk)
    forged = codes.encode(codes.TicketClaim(key_id=second.key_id, event_id=event.pk, ticket_id=1, generation=9,
                                            valid_from=0, valid_until=2_000_000_000), keys.private_key(other))
    with pytest.raises(codes.CodeError):
        keys.verify(forged)
