"""The production APNs sender (httpx over HTTP/2 with the pass certificate) against a loopback APNs."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.apns import FakeApns
from tickets.wallet import apns


@pytest.fixture
def apns_server(pki, tmp_path, settings):
    """TLS for `localhost` signed by the test root; the pass certificate chain is what it trusts."""
    # The pki fixture keeps its root key to itself, so the server's TLS certificate comes from its own small CA.
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake APNs CA")])
    now = datetime.datetime.now(datetime.UTC)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
              .issuer_name(ca_name).public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    files = {name: tmp_path / f"apns-{name}.pem" for name in ("ca", "cert", "key", "client-ca")}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    files["client-ca"].write_bytes(pki["root"].read_bytes() + pki["wwdr"].read_bytes())
    with FakeApns(server_cert=str(files["cert"]), server_key=str(files["key"]),
                  client_ca=str(files["client-ca"])) as server_fake:
        settings.APNS_HOST = server_fake.url
        settings.APNS_CA_BUNDLE = str(files["ca"])
        yield server_fake


def test_the_real_sender_pushes_over_http2_with_the_pass_certificate(apns_server, settings):
    apns_server.answers["dead-token"] = (410, "Unregistered")
    sender = apns.sender()
    assert isinstance(sender, apns.HttpxSender)

    ok = sender.push("a1b2c3", settings.APPLE_PASS_TYPE_ID)
    gone = sender.push("dead-token", settings.APPLE_PASS_TYPE_ID)

    assert ok.ok and not ok.token_dead
    assert gone.status == 410 and gone.reason == "Unregistered" and gone.token_dead
    first = apns_server.pushes[0]
    assert first["method"] == "POST" and first["path"] == "/3/device/a1b2c3"
    assert first["topic"] == settings.APPLE_PASS_TYPE_ID and first["push_type"] == "background"
    assert first["client"].startswith("Pass Type ID"), "the pass certificate authenticated the connection"


def test_apns_refuses_a_connection_without_the_pass_certificate(apns_server, settings):
    import ssl

    import httpx

    context = ssl.create_default_context(cafile=settings.APNS_CA_BUNDLE)
    with httpx.Client(http2=True, verify=context, base_url=apns_server.url) as anonymous, \
            pytest.raises(httpx.TransportError):
        anonymous.post("/3/device/a1b2c3", content=b"{}")
    assert apns_server.refusal.wait(timeout=10), "the server refused the handshake"
    assert not apns_server.pushes
