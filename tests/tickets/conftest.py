"""Lane 05 fixtures: released bookings with manifests, a test PKI for Apple passes, a Google Wallet
fake on loopback with its service account, an APNs sender that records pushes, and a private MEDIA_ROOT."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from allocation.models import Area, Manifest, ManifestLine, Unit
from buyers.models import Booking, Buyer
from eventchain.lifecycle import BookingStatus
from eventchain.models import Package
from tests.fakes.google_wallet import GoogleWalletFake
from tests.fakes.loopback import LoopbackServer
from tickets import rendering
from tickets.wallet import apns

PASS_TYPE_ID = "pass.example.eventchain.tickets"
TEAM_ID = "A1B2C3D4E5"
ISSUER_ID = "3388000000022999999"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVENTCHAIN_BASE_URL = "https://tickets.example.test"
    settings.TICKETS_RENDER_WORKERS = 1
    settings.APPLE_PASS_CERT = settings.APPLE_PASS_KEY = settings.APPLE_WWDR_CERT = ""
    settings.GOOGLE_WALLET_ISSUER_ID = settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = ""
    rendering._apple_signer.cache_clear()
    rendering._google.cache_clear()
    yield
    rendering._apple_signer.cache_clear()
    rendering._google.cache_clear()
    apns.use(None)


# Bookings -----------------------------------------------------------------------------------------

@pytest.fixture
def make_released(catalogue):
    """make_released("BOX-8", units=1) → a released booking whose manifest holds `units` units of the package.

    Built from rows directly: these tests are about tickets, not the lanes before them.
    """
    counter = {"n": 0}

    def make(package_code: str = "BOX-8", *, units: int = 1, headcount: int | None = None, event_code="GF2026",
             extra_lines=(), status=BookingStatus.RELEASED) -> Booking:
        counter["n"] += 1
        event = catalogue[event_code]
        package = Package.objects.get(event=event, code=package_code)
        buyer = Buyer.objects.create(name=f"Acme Mining {counter['n']}")
        booking = Booking.objects.create(
            buyer=buyer, event=event, package=package, headcount=headcount or package.seats_per_unit * units,
            status=status,
        )
        area, _ = Area.objects.get_or_create(venue=event.venue, name=f"{package.get_inventory_kind_display()} Level")
        manifest = Manifest.objects.create(booking=booking, version=1)
        for n in range(units):
            unit = Unit.objects.create(
                venue=event.venue, area=area, kind=package.inventory_kind,
                label=f"{package_code}-{counter['n']:02d}{n:02d}", capacity=package.seats_per_unit,
            )
            ManifestLine.objects.create(
                manifest=manifest, unit=unit, label=unit.label, kind=unit.kind, area=area.name,
                seats=package.seats_per_unit, quantity=1, package=package, unit_price=package.unit_price,
            )
        for code, quantity in extra_lines:  # comps of another package, e.g. ("PARKING", 2)
            other = Package.objects.get(event=event, code=code)
            pool, _ = Unit.objects.get_or_create(
                venue=event.venue, label=f"{code}-POOL",
                defaults={"area": area, "kind": other.inventory_kind, "capacity": 500},
            )
            ManifestLine.objects.create(
                manifest=manifest, unit=pool, label=pool.label, kind=pool.kind, area=area.name, seats=quantity,
                quantity=quantity, package=other, unit_price=Decimal("0.00"), comp=True,
            )
        return booking

    return make


@pytest.fixture
def issued(make_released, django_capture_on_commit_callbacks, make_staff):
    """issued("BOX-8") → a booking whose tickets were issued through the real job."""
    from tickets import services

    def make(package_code: str = "BOX-8", **kwargs) -> Booking:
        booking = make_released(package_code, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            services.start_issuance(booking_id=booking.pk, actor=make_staff("ticketing"))
        booking.refresh_from_db()
        return booking

    return make


# Apple PKI ----------------------------------------------------------------------------------------

def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "EventChain Test PKI")])


def _cert(subject, issuer, public_key, signing_key, *, ca: bool, path_length=None):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def pki(tmp_path, settings):
    """Root → intermediate (plays Apple's WWDR) → pass certificate; settings point at the files."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert(_name("Test Root CA"), _name("Test Root CA"), root_key.public_key(), root_key, ca=True)
    wwdr_key = ec.generate_private_key(ec.SECP256R1())
    wwdr = _cert(_name("Test WWDR"), root.subject, wwdr_key.public_key(), root_key, ca=True, path_length=0)
    pass_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _cert(_name(f"Pass Type ID: {PASS_TYPE_ID}"), wwdr.subject, pass_key.public_key(), wwdr_key, ca=False)
    folder = tmp_path / "pki"
    folder.mkdir()
    paths = {}
    for name, cert in (("root", root), ("wwdr", wwdr), ("pass", leaf)):
        paths[name] = folder / f"{name}.pem"
        paths[name].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"] = folder / "pass-key.pem"
    paths["key"].write_bytes(pass_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    settings.APPLE_PASS_CERT = str(paths["pass"])
    settings.APPLE_PASS_KEY = str(paths["key"])
    settings.APPLE_WWDR_CERT = str(paths["wwdr"])
    settings.APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.APPLE_TEAM_ID = TEAM_ID
    rendering._apple_signer.cache_clear()
    return paths


class RecordingPushSender:
    """Stands in for APNs: records pushes and answers what the test queued (200 by default)."""

    def __init__(self):
        self.pushes: list[tuple[str, str]] = []
        self.answers: dict[str, apns.PushResult] = {}

    def push(self, push_token: str, topic: str) -> apns.PushResult:
        self.pushes.append((push_token, topic))
        return self.answers.get(push_token, apns.PushResult(200))


@pytest.fixture
def push_sender():
    sender = RecordingPushSender()
    apns.use(sender)
    yield sender
    apns.use(None)


# Google Wallet ------------------------------------------------------------------------------------

@pytest.fixture
def google_wallet(tmp_path, settings):
    """A Google Wallet fake (REST + OAuth token endpoint) and a service account that trusts it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    fake = GoogleWalletFake(issuer_id=ISSUER_ID, public_key_pem=public_pem,
                            service_account_email="wallet@eventchain-test.iam.gserviceaccount.com")
    server = LoopbackServer(fake).start()
    fake.base_url = server.base_url
    fake.server = server  # tests inject faults through server.faults
    info = {
        "type": "service_account", "project_id": "eventchain-test", "private_key_id": "test-key-1",
        "private_key": pem, "client_email": fake.service_account_email, "client_id": "1234567890",
        "token_uri": f"{server.base_url}/token",
    }
    account_file = tmp_path / "service-account.json"
    account_file.write_text(json.dumps(info))
    settings.GOOGLE_WALLET_ISSUER_ID = ISSUER_ID
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = str(account_file)
    settings.GOOGLE_WALLET_API_BASE = f"{server.base_url}/walletobjects/v1"
    rendering._google.cache_clear()
    from tickets import wallet_outbox

    wallet_outbox._client.cache_clear()
    fake.public_key_pem = public_pem
    yield fake
    server.stop()
    wallet_outbox._client.cache_clear()
