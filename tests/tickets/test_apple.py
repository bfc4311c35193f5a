"""Apple Wallet: signed .pkpass files (checked with openssl against a test PKI), the web service, pushes."""

import hashlib
import io
import json
import subprocess
import zipfile
from datetime import timedelta

import pytest
from django.utils.http import http_date

from eventchain import outbox
from eventchain.models import OutboxMessage
from tickets import downloads, services
from tickets.models import AppleRegistration, Ticket
from tickets.wallet import apns

from .conftest import PASS_TYPE_ID, TEAM_ID

pytestmark = pytest.mark.django_db


def unpack(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        return {info.filename: archive.read(info) for info in archive.infolist()}


def openssl_verifies(entries: dict[str, bytes], root_pem, tmp_path) -> bool:
    (tmp_path / "signature").write_bytes(entries["signature"])
    (tmp_path / "manifest.json").write_bytes(entries["manifest.json"])
    result = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "signature"),
         "-content", str(tmp_path / "manifest.json"), "-CAfile", str(root_pem), "-purpose", "any",
         "-out", str(tmp_path / "verified.out")],
        capture_output=True, text=True, check=False,
    )
    return result.returncode == 0


def hashes_match(entries: dict[str, bytes]) -> bool:
    manifest = json.loads(entries["manifest.json"])
    listed = set(manifest) == set(entries) - {"manifest.json", "signature"}
    return listed and all(hashlib.sha1(entries[name]).hexdigest() == digest for name, digest in manifest.items())


def pkpass_of(ticket_id) -> bytes:
    ticket = Ticket.objects.select_related("event", "event__venue", "guest", "package", "booking").get(pk=ticket_id)
    return downloads.ticket_pkpass(ticket).read_bytes()


def test_every_issued_pass_verifies_against_the_test_root(pki, issued, tmp_path):
    booking = issued("BOX-8", extra_lines=[("PARKING", 1)])
    tickets = list(Ticket.objects.filter(booking=booking))
    assert len(tickets) == 9
    for ticket in tickets:
        entries = unpack(pkpass_of(ticket.pk))
        assert {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png"} <= set(entries)
        assert hashes_match(entries)
        assert openssl_verifies(entries, pki["root"], tmp_path), ticket.number
        data = json.loads(entries["pass.json"])
        assert data["barcodes"][0] == {"format": "PKBarcodeFormatQR", "message": ticket.code,
                                       "messageEncoding": "iso-8859-1", "altText": ticket.number}
        assert data["serialNumber"] == ticket.number and data["authenticationToken"] == ticket.apple_auth_token
        assert data["passTypeIdentifier"] == PASS_TYPE_ID and data["teamIdentifier"] == TEAM_ID
        assert data["webServiceURL"] == "https://tickets.example.test/wallet/"
        assert data["voided"] is False and "eventTicket" in data
        assert data["relevantDates"][0]["startDate"].startswith(
            booking.event.starts_at.astimezone(booking.event.tz).isoformat()[:16])
        assert data["locations"][0]["latitude"] == pytest.approx(-33.8075)


def test_a_tampered_pass_fails(pki, issued, tmp_path):
    booking = issued("BOX-8")
    entries = unpack(pkpass_of(Ticket.objects.filter(booking=booking).first().pk))
    assert openssl_verifies(entries, pki["root"], tmp_path)

    forged = dict(entries)
    forged["pass.json"] = entries["pass.json"].replace(b'"voided": false', b'"voided": true')
    assert forged["pass.json"] != entries["pass.json"]
    assert not hashes_match(forged)  # the manifest no longer describes the files

    forged["manifest.json"] = json.dumps(
        {name: hashlib.sha1(body).hexdigest() for name, body in forged.items() if name not in {"manifest.json",
                                                                                             "signature"}}
    ).encode()
    assert hashes_match(forged)
    assert not openssl_verifies(forged, pki["root"], tmp_path)  # and a rewritten manifest breaks the signature


def test_a_pass_signed_under_another_root_fails(pki, issued, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from .conftest import _cert, _name

    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert(_name("Test Root CA"), _name("Test Root CA"), other_key.public_key(), other_key, ca=True)
    (tmp_path / "other.pem").write_bytes(other.public_bytes(serialization.Encoding.PEM))
    booking = issued("BOX-8")
    entries = unpack(pkpass_of(Ticket.objects.filter(booking=booking).first().pk))
    assert not openssl_verifies(entries, tmp_path / "other.pem", tmp_path)


def test_revoke_voids_and_reissue_updates_the_same_pass(pki, issued, make_staff, tmp_path):
    booking = issued("BOX-8")
    first, second = Ticket.objects.filter(booking=booking).order_by("seat_index")[:2]
    staff = make_staff("ticketing")

    services.reissue_ticket(ticket_id=first.pk, actor=staff)
    first.refresh_from_db()
    data = json.loads(unpack(pkpass_of(first.pk))["pass.json"])
    assert data["serialNumber"] == first.number and data["barcodes"][0]["message"] == first.code
    assert data["voided"] is False

    services.revoke_ticket(ticket_id=second.pk, actor=staff)
    entries = unpack(pkpass_of(second.pk))
    assert json.loads(entries["pass.json"])["voided"] is True
    assert openssl_verifies(entries, pki["root"], tmp_path)


def test_pkpass_download_endpoint(api, pki, issued):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    listed = api("ticketing").get(f"/api/v1/bookings/{booking.pk}/tickets").json()["results"][0]
    assert listed["pkpass_url"] == f"https://tickets.example.test/api/v1/tickets/{listed['id']}/pkpass"
    response = api("ticketing").get(f"/api/v1/tickets/{ticket.pk}/pkpass")
    assert response.status_code == 200 and response["Content-Type"] == "application/vnd.apple.pkpass"
    assert api("sales").get(f"/api/v1/tickets/{ticket.pk}/pkpass").status_code == 404


# The Wallet web service ---------------------------------------------------------------------------

def auth(ticket) -> dict:
    return {"HTTP_AUTHORIZATION": f"ApplePass {ticket.apple_auth_token}"}


def register_url(ticket, device="device-abc"):
    return f"/wallet/v1/devices/{device}/registrations/{PASS_TYPE_ID}/{ticket.number}"


def test_registration_lifecycle(client, pki, issued):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    body = json.dumps({"pushToken": "push-token-1"})
    assert client.post(register_url(ticket), body, content_type="application/json").status_code == 401
    assert client.post(register_url(ticket), body, content_type="application/json",
                       HTTP_AUTHORIZATION="ApplePass wrong").status_code == 401
    assert client.post(register_url(ticket), body, content_type="application/json", **auth(ticket)).status_code == 201
    assert client.post(register_url(ticket), body, content_type="application/json", **auth(ticket)).status_code == 200
    assert AppleRegistration.objects.get(ticket=ticket).push_token == "push-token-1"

    listed = client.get(f"/wallet/v1/devices/device-abc/registrations/{PASS_TYPE_ID}")
    assert listed.status_code == 200
    tag = listed.json()["lastUpdated"]
    assert listed.json()["serialNumbers"] == [ticket.number]
    unchanged = client.get(f"/wallet/v1/devices/device-abc/registrations/{PASS_TYPE_ID}?passesUpdatedSince={tag}")
    assert unchanged.status_code == 204

    services.reissue_ticket(ticket_id=ticket.pk, actor=None)
    changed = client.get(f"/wallet/v1/devices/device-abc/registrations/{PASS_TYPE_ID}?passesUpdatedSince={tag}")
    assert changed.status_code == 200 and changed.json()["serialNumbers"] == [ticket.number]
    assert int(changed.json()["lastUpdated"]) > int(tag)

    assert client.delete(register_url(ticket), **auth(ticket)).status_code == 200
    assert not AppleRegistration.objects.exists()
    assert client.post("/wallet/v1/log", json.dumps({"logs": ["hello"]}), content_type="application/json"
                       ).status_code == 200


def test_latest_pass_honours_if_modified_since(client, pki, issued):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    url = f"/wallet/v1/passes/{PASS_TYPE_ID}/{ticket.number}"
    assert client.get(url).status_code == 401
    response = client.get(url, **auth(ticket))
    assert response.status_code == 200 and response["Content-Type"] == "application/vnd.apple.pkpass"
    stamp = response["Last-Modified"]
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=stamp, **auth(ticket)).status_code == 304
    Ticket.objects.filter(pk=ticket.pk).update(wallet_updated_at=ticket.wallet_updated_at + timedelta(seconds=5))
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=stamp, **auth(ticket)).status_code == 200
    earlier = http_date((ticket.wallet_updated_at - timedelta(days=1)).timestamp())
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=earlier, **auth(ticket)).status_code == 200


def test_reissue_and_revoke_queue_apns_pushes(pki, issued, push_sender, make_staff):
    booking = issued("BOX-8")
    first, second = Ticket.objects.filter(booking=booking).order_by("seat_index")[:2]
    services.register_apple_device(ticket=first, device_library_id="phone-1", push_token="token-live")
    services.register_apple_device(ticket=first, device_library_id="phone-2", push_token="token-gone")
    services.register_apple_device(ticket=second, device_library_id="phone-1", push_token="token-live")
    push_sender.answers["token-gone"] = apns.PushResult(410, "Unregistered")

    services.reissue_ticket(ticket_id=first.pk, actor=make_staff("ticketing"))
    services.revoke_ticket(ticket_id=second.pk, actor=make_staff("ticketing"))
    messages = OutboxMessage.objects.filter(kind="tickets.apple.push")
    assert {m.payload["ticket_id"] for m in messages} == {first.pk, second.pk}
    for message in messages:
        outbox.process(message.pk)
    assert sorted(push_sender.pushes) == sorted([("token-live", PASS_TYPE_ID), ("token-gone", PASS_TYPE_ID),
                                                 ("token-live", PASS_TYPE_ID)])
    assert all(m.status == OutboxMessage.Status.DONE for m in OutboxMessage.objects.filter(kind="tickets.apple.push"))
    assert not AppleRegistration.objects.filter(push_token="token-gone").exists()


def test_apns_throttling_is_retried(pki, issued, push_sender):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    services.register_apple_device(ticket=ticket, device_library_id="phone-1", push_token="busy")
    push_sender.answers["busy"] = apns.PushResult(429, "TooManyRequests")
    services.reissue_ticket(ticket_id=ticket.pk, actor=None)
    message = OutboxMessage.objects.get(kind="tickets.apple.push")
    assert outbox.process(message.pk).status == OutboxMessage.Status.FAILED
