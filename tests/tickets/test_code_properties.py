"""Properties of EC1 ticket codes over arbitrary claims and keys (issue 9 part 6)."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets import codes

BOUNDED = settings(max_examples=200, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])
# QR alphanumeric mode: digits, A-Z and " $%*+-./:" (ISO/IEC 18004); a version 6 symbol at level M holds 154.
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
QR_V6_M_ALPHANUMERIC_CAPACITY = 154
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

u16 = st.integers(0, 2**16 - 1)
u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
seeds = st.binary(min_size=32, max_size=32)


@st.composite
def claims(draw):
    valid_from = draw(u32)
    return codes.TicketClaim(
        key_id=draw(u16), event_id=draw(u32), ticket_id=draw(u64), generation=draw(u16),
        valid_from=valid_from, valid_until=draw(st.integers(valid_from, 2**32 - 1)),
    )


def signed(claim, seed: bytes) -> tuple[str, codes.Verifier]:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    verifier = codes.Verifier({(claim.event_id, claim.key_id): private.public_key()})
    return codes.encode(claim, private), verifier


@BOUNDED
@given(claim=claims(), seed=seeds)
def test_a_code_verifies_back_to_exactly_its_claim(claim, seed):
    code, verifier = signed(claim, seed)
    assert verifier.verify(code) == claim
    assert codes.decode(code)[0] == claim


@BOUNDED
@given(claim=claims(), seed=seeds)
def test_codes_fit_the_qr_alphanumeric_set_and_a_version_6_symbol(claim, seed):
    code, _ = signed(claim, seed)
    assert len(code) == codes.CODE_LENGTH <= QR_V6_M_ALPHANUMERIC_CAPACITY
    assert set(code) <= QR_ALPHANUMERIC


@BOUNDED
@given(claim=claims(), seed=seeds, data=st.data())
def test_changing_any_one_character_is_refused(claim, seed, data):
    code, verifier = signed(claim, seed)
    position = data.draw(st.integers(len(codes.PREFIX), len(code) - 1), label="position")
    replacement = data.draw(st.sampled_from(BASE32).filter(lambda c: c != code[position]), label="replacement")
    altered = code[:position] + replacement + code[position + 1:]
    with pytest.raises(codes.CodeError):
        verifier.verify(altered)


@BOUNDED
@given(claim=claims(), seed=seeds, data=st.data())
def test_a_truncated_or_extended_code_is_refused(claim, seed, data):
    code, verifier = signed(claim, seed)
    cut = data.draw(st.integers(0, len(code) - 1), label="cut")
    with pytest.raises(codes.CodeError) as truncated:
        verifier.verify(code[:cut])
    assert truncated.value.reason == "malformed"
    with pytest.raises(codes.CodeError):
        verifier.verify(code + data.draw(st.sampled_from(BASE32), label="extra"))


@BOUNDED
@given(claim=claims(), seed=seeds, other_seed=seeds)
def test_a_code_signed_with_another_key_is_refused(claim, seed, other_seed):
    code, _ = signed(claim, seed)
    _, other_verifier = signed(claim, other_seed)
    if seed == other_seed:
        return
    with pytest.raises(codes.CodeError) as refused:
        other_verifier.verify(code)
    assert refused.value.reason == "bad_signature"


@BOUNDED
@given(text=st.text(max_size=200))
def test_arbitrary_text_is_refused_with_a_code_error_never_a_crash(text):
    with pytest.raises(codes.CodeError):
        codes.Verifier({}).verify(text)


@BOUNDED
@given(claim=claims(), seed=seeds, replacement=st.sampled_from(BASE32))
def test_the_last_character_has_one_accepted_spelling(claim, seed, replacement):
    # Base32 leaves 3 unused bits in the last character; a decoder that ignores them accepts 8 spellings.
    code, verifier = signed(claim, seed)
    if replacement == code[-1]:
        return
    with pytest.raises(codes.CodeError):
        verifier.verify(code[:-1] + replacement)
