"""Google Wallet: Save links are RS256 JWTs from the service account; REST sync goes to a checking fake."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt
from google.auth import jwt as google_jwt

from eventchain import outbox
from eventchain.models import OutboxMessage
from tests.fakes.loopback import Fault
from tickets import services
from tickets.models import Ticket
from tickets.wallet import google

from .conftest import ISSUER_ID

pytestmark = pytest.mark.django_db


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def deliver_pending():
    for message in OutboxMessage.objects.exclude(status=OutboxMessage.Status.DONE).order_by("id"):
        outbox.process(message.pk)


def test_save_links_are_jwts_signed_by_the_service_account(google_wallet, issued):
    booking = issued("BOX-8")
    verifier = crypt.RSAVerifier.from_string(google_wallet.public_key_pem)
    for ticket in Ticket.objects.filter(booking=booking):
        assert ticket.google_save_url.startswith("https://pay.google.com/gp/v/save/")
        token = ticket.google_save_url.rsplit("/", 1)[1]
        signed, signature = token.rsplit(".", 1)
        assert verifier.verify(signed.encode(), b64url(signature))
        header = json.loads(b64url(token.split(".")[0]))
        assert header["alg"] == "RS256" and header["kid"] == "test-key-1"
        claims = google_jwt.decode(token, certs=google_wallet.public_key_pem, audience="google")
        assert claims["iss"] == google_wallet.service_account_email and claims["typ"] == "savetowallet"
        [obj] = claims["payload"]["eventTicketObjects"]
        assert obj["id"] == google.object_id(ISSUER_ID, ticket.number)
        assert obj["classId"] == google.class_id(ISSUER_ID, booking.event.code)
        assert obj["barcode"] == {"type": "QR_CODE", "value": ticket.code, "alternateText": ticket.number}
        assert obj["state"] == "ACTIVE"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert not crypt.RSAVerifier.from_string(stranger).verify(signed.encode(), b64url(signature))


def test_issuance_creates_the_class_and_objects_through_the_outbox(google_wallet, issued, api):
    booking = issued("BOX-8", extra_lines=[("PARKING", 1)])
    deliver_pending()
    assert google_wallet.problems == []
    class_id = google.class_id(ISSUER_ID, booking.event.code)
    assert google_wallet.classes[class_id]["eventName"]["defaultValue"]["value"] == "Grand Final"
    tickets = list(Ticket.objects.filter(booking=booking))
    assert len(google_wallet.objects) == len(tickets) == 9
    for ticket in tickets:
        stored = google_wallet.objects[google.object_id(ISSUER_ID, ticket.number)]
        assert stored["barcode"]["value"] == ticket.code and stored["state"] == "ACTIVE"
    listed = api("ticketing").get(f"/api/v1/bookings/{booking.pk}/tickets").json()["results"]
    assert all(row["google_save_url"].startswith("https://pay.google.com/gp/v/save/") for row in listed)
    # every REST call carried a token from the service-account grant
    assert any(path == "/token" for _, path, _ in google_wallet.calls)


def test_revoke_expires_and_reissue_updates_the_barcode(google_wallet, issued, make_staff):
    booking = issued("BOX-8")
    deliver_pending()
    first, second = Ticket.objects.filter(booking=booking).order_by("seat_index")[:2]
    staff = make_staff("ticketing")
    services.reissue_ticket(ticket_id=first.pk, actor=staff)
    services.revoke_ticket(ticket_id=second.pk, actor=staff)
    deliver_pending()
    first.refresh_from_db()
    assert google_wallet.problems == []
    assert google_wallet.objects[google.object_id(ISSUER_ID, first.number)]["barcode"]["value"] == first.code
    assert google_wallet.objects[google.object_id(ISSUER_ID, second.number)]["state"] == "EXPIRED"
    patches = [(m, p) for m, p, _ in google_wallet.calls if m == "PATCH"]
    assert len(patches) == 2
    # the reissued ticket's new save link carries the new code
    token = first.google_save_url.rsplit("/", 1)[1]
    claims = google_jwt.decode(token, certs=google_wallet.public_key_pem, audience="google")
    assert claims["payload"]["eventTicketObjects"][0]["barcode"]["value"] == first.code


def test_google_outage_is_retried_not_lost(google_wallet, issued, make_staff):
    booking = issued("BOX-8")
    deliver_pending()
    ticket = Ticket.objects.filter(booking=booking).first()
    services.revoke_ticket(ticket_id=ticket.pk, actor=make_staff("ticketing"))
    message = OutboxMessage.objects.get(kind="tickets.google.update_object")
    google_wallet.server.faults.add(Fault("status", r"PATCH /walletobjects", status=503))
    assert outbox.process(message.pk).status == OutboxMessage.Status.FAILED
    assert outbox.process(message.pk).status == OutboxMessage.Status.DONE
    assert google_wallet.objects[google.object_id(ISSUER_ID, ticket.number)]["state"] == "EXPIRED"



def test_the_event_class_points_save_callbacks_at_the_portal_over_https():
    from datetime import UTC, datetime

    from tickets.wallet import google

    content = google.EventClassContent(
        event_code="GF2026", event_name="Grand Final", issuer_name="Riverside", venue_name="Riverside Stadium",
        venue_address="1 Riverside Drive", starts_at=datetime(2027, 1, 1, tzinfo=UTC),
        ends_at=datetime(2027, 1, 1, 5, tzinfo=UTC), background="#0f2540",
        callback_url="https://tickets.example.com/portal/wallet/google/callback/",
    )
    assert google.event_class("338", content)["callbackOptions"] == {
        "url": "https://tickets.example.com/portal/wallet/google/callback/"
    }
    plain = google.EventClassContent(**{**content.__dict__, "callback_url": "http://127.0.0.1:8000/x/"})
    assert "callbackOptions" not in google.event_class("338", plain)
