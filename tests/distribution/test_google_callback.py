"""Google Wallet save callbacks: Google's ECv2SigningOnly signatures verified, saves counted once per nonce."""

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from distribution.channels.google_callback import PROTOCOL, SENDER_ID, length_value
from distribution.models import TrackingEvent, TrackingKind
from tickets.models import Ticket
from tickets.wallet import google

pytestmark = pytest.mark.django_db
ISSUER = "3388000000022999999"
URL = "/portal/wallet/google/callback/"


def _b64_public(key) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _sign(key, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


class FakeGoogle:
    """Plays Google: a root key published as a key file, an intermediate key it signs, callbacks it signs."""

    def __init__(self, tmp_path):
        self.root = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = ec.generate_private_key(ec.SECP256R1())
        self.keys_file = tmp_path / "google-root-keys.json"
        self.keys_file.write_text(json.dumps({"keys": [
            {"keyValue": _b64_public(self.root), "protocolVersion": PROTOCOL}]}))

    def callback(self, object_id: str, *, event_type="save", nonce="n-1", expires_in_ms=60_000, signer=None,
                 issuer=ISSUER) -> bytes:
        now = int(time.time() * 1000)
        signed_key = json.dumps({"keyValue": _b64_public(self.intermediate), "keyExpiration": str(now + 3_600_000)})
        message = json.dumps({"classId": f"{ISSUER}.event-gf2026", "objectId": object_id,
                              "expTimeMillis": now + expires_in_ms, "eventType": event_type, "nonce": nonce})
        return json.dumps({
            "protocolVersion": PROTOCOL,
            "intermediateSigningKey": {"signedKey": signed_key,
                                       "signatures": [_sign(self.root, length_value(SENDER_ID, PROTOCOL, signed_key))]},
            "signedMessage": message,
            "signature": _sign(signer or self.intermediate, length_value(SENDER_ID, issuer, PROTOCOL, message)),
        }).encode()


@pytest.fixture
def fake_google(tmp_path, settings):
    fake = FakeGoogle(tmp_path)
    settings.GOOGLE_WALLET_CALLBACK_KEYS_URL = fake.keys_file.as_uri()
    return fake


def test_a_signed_save_callback_counts_as_added_to_google_wallet(booking_for, fake_google, client, settings):
    booking = booking_for("BOX-8")
    settings.GOOGLE_WALLET_ISSUER_ID = ISSUER
    ticket = Ticket.objects.filter(booking=booking).first()
    body = fake_google.callback(google.object_id(ISSUER, ticket.number))
    assert client.post(URL, body, content_type="application/json").status_code == 200
    assert client.post(URL, body, content_type="application/json").status_code == 200  # Google retries: same nonce
    event = TrackingEvent.objects.get(kind=TrackingKind.WALLET_GOOGLE)
    assert event.ticket_id == ticket.pk and event.booking_id == booking.pk
    deleted = fake_google.callback(google.object_id(ISSUER, ticket.number), event_type="del", nonce="n-2")
    assert client.post(URL, deleted, content_type="application/json").status_code == 200
    assert TrackingEvent.objects.filter(kind=TrackingKind.WALLET_GOOGLE).count() == 1


def test_forged_or_expired_callbacks_are_refused(booking_for, fake_google, client, settings):
    booking = booking_for("BOX-8")
    settings.GOOGLE_WALLET_ISSUER_ID = ISSUER
    object_id = google.object_id(ISSUER, Ticket.objects.filter(booking=booking).first().number)
    forged = fake_google.callback(object_id, signer=ec.generate_private_key(ec.SECP256R1()))
    wrong_issuer = fake_google.callback(object_id, issuer="1111111111")
    expired = fake_google.callback(object_id, expires_in_ms=-1000)
    for body in (forged, wrong_issuer, expired, b"not json"):
        assert client.post(URL, body, content_type="application/json").status_code == 400
    assert not TrackingEvent.objects.filter(kind=TrackingKind.WALLET_GOOGLE).exists()


def test_callback_is_404_without_google_wallet(client, settings):
    settings.GOOGLE_WALLET_ISSUER_ID = ""
    assert client.post(URL, b"{}", content_type="application/json").status_code == 404
