"""Lane 06 fixtures: a real SMTP server on loopback (aiosmtpd), issued bookings with a primary contact
and guests, and a signed-in portal client. Ticket fixtures (bookings, PKI, Google fake) come from lane 05."""

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.test import Client

from buyers.models import Contact
from tests.tickets import conftest as ticket_fixtures
from tickets import services as ticket_services

# Lane 05's fixtures, shared here: released/issued bookings, the Apple test PKI, the Google Wallet fake.
_media = ticket_fixtures._media
make_released = ticket_fixtures.make_released
issued = ticket_fixtures.issued
pki = ticket_fixtures.pki
google_wallet = ticket_fixtures.google_wallet


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; answers chosen recipients or the DATA step with a refusal."""

    def __init__(self):
        self.received: list[Received] = []
        self.refuse_rcpt: dict[str, str] = {}
        self.data_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse_rcpt:
            return self.refuse_rcpt[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Message accepted for delivery"


class LoopbackSMTP:
    """A real SMTP server on 127.0.0.1 that tests can stop and start again on the same port."""

    def __init__(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> "LoopbackSMTP":
        # A stopped Controller cannot start again (its loop is closed); a new one takes the same port.
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.mailbox.received

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [item.message for item in self.received if address.lower() in [r.lower() for r in item.rcpt_tos]]


@pytest.fixture
def smtp(settings):
    server = LoopbackSMTP().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


PRIMARY = "pat@acme.example"


@pytest.fixture
def booking_for(issued, make_staff):
    """booking_for(guests=3) → an issued BOX-8 booking whose buyer has a primary contact and named guests."""

    def make(package_code: str = "BOX-8", *, guests: int = 0, primary: str | None = PRIMARY, **kwargs):
        booking = issued(package_code, **kwargs)
        if primary:
            Contact.objects.create(buyer=booking.buyer, name="Pat Buyer", email=primary, is_primary=True)
        if guests:
            ticket_services.set_guest_list(
                booking_id=booking.pk, actor=make_staff("ticketing"),
                guests=[{"name": f"Guest {n}", "email": f"guest{n}@guests.example"} for n in range(1, guests + 1)],
            )
        booking.refresh_from_db()
        return booking

    return make


@pytest.fixture
def portal_client():
    """portal_client(contact) → a Client signed in to the portal as that contact (the session a link gives)."""

    def make(contact: Contact) -> Client:
        client = Client()
        session = client.session
        session["portal_contact_id"] = contact.pk
        session.save()
        return client

    return make


@pytest.fixture
def make_invoice():
    """make_invoice(booking, paid="300.00") → a posted tax invoice on the booking's manifest (rows only)."""
    from datetime import date
    from decimal import Decimal

    from allocation.models import Manifest
    from finance.models import Invoice

    counter = {"n": 0}

    def make(booking, *, total: str = "1100.00", paid: str = "0.00") -> Invoice:
        counter["n"] += 1
        total_value, paid_value = Decimal(total), Decimal(paid)
        tax = (total_value / 11).quantize(Decimal("0.01"))
        status = Invoice.Status.PAID if paid_value >= total_value else (
            Invoice.Status.PARTIALLY_PAID if paid_value else Invoice.Status.POSTED)
        return Invoice.objects.create(
            number=f"INV-T{booking.pk:04d}{counter['n']}", booking=booking,
            manifest=Manifest.objects.filter(booking=booking).order_by("-version").first(),
            status=status, currency="AUD", issue_date=date(2026, 11, 1), due_date=date(2026, 11, 15),
            supplier_name="Riverside Hospitality Pty Ltd", supplier_tax_number="53 004 085 616",
            bill_to_name=booking.buyer.name, subtotal=total_value - tax, tax=tax, total=total_value,
            amount_paid=paid_value, amount_due=total_value - paid_value, ledger_backend="local",
        )

    return make
