"""Logs never carry emails, ticket codes, tokens or phone numbers: the redacting filter and its wiring."""

import io
import logging
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from eventchain.logredact import RedactingFilter, redact

CODE = "EC1:" + "A" * 40 + "B2C3D4E5F6G7"


@pytest.mark.parametrize("text, secret", [
    ("sent to Pat.Buyer+vip@acme.example ok", "Pat.Buyer+vip@acme.example"),
    (f"scan {CODE} refused", CODE[4:]),
    ("Authorization: Bearer ec_abcdefghijklmnopqrstuvwxyz012345", "ec_abcdefghijklmnopqrstuvwxyz012345"),
    ("gate token ecg_Zyxwvutsrqponmlkjihgfedcba98 revoked", "Zyxwvutsrqponmlkjihgfedcba98"),
    ("Not Found: /portal/sign-in/3qV9kLx0-_aBcDeFgHiJkLmNoPqRsTuV/", "3qV9kLx0-_aBcDeFgHiJkLmNoPqRsTuV"),
    ("GET /portal/claim/tok_1234567890abcdefghij/ 200", "tok_1234567890abcdefghij"),
    ("GET /portal/f/eyJtIjoxfQ:1tAbCd:ZyXwVuTsRq/ 200", "eyJtIjoxfQ:1tAbCd"),
    ("callback?code=abc123secret&state=xyz", "abc123secret"),
    ("Authorization: ApplePass 0123456789abcdefghijkl", "0123456789abcdefghijkl"),
    ("call +61 2 5550 1234 or 0412 345 678", "5550 1234"),
    ("call +61 2 5550 1234 or 0412 345 678", "0412 345 678"),
])
def test_redact_removes_the_secret(text, secret):
    assert secret not in redact(text)


def test_redact_keeps_ordinary_log_text():
    text = "outbox email #42 attempt 3 failed at 2026-11-23 12:52:00; booking 17, 1200.00 AUD, ticket 99"
    assert redact(text) == text


def test_filter_formats_arguments_and_tracebacks_before_redacting():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "mail to %s failed", ("pat@acme.example",), None)
    try:
        raise ValueError("pat@acme.example refused")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record) is True
    formatted = logging.Formatter().format(record)
    assert "pat@acme.example" not in formatted and formatted.count("[email]") >= 2


def _root_console_handler():
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    assert handlers, "settings.LOGGING must install the redacting filter on the root handler"
    return handlers[0]


@pytest.mark.django_db
def test_a_whole_flow_logged_at_debug_leaks_nothing(client, caplog, catalogue, make_staff, settings):
    """Handoff, ticket issue, portal link, gate scan and a careless log line, through the configured handler."""
    from buyers.models import Contact
    from distribution.models import DeliveryMessage
    from distribution.services import portal
    from eventchain import crypto
    from reporting.gate import devices
    from tests.buyers.conftest import HANDOFF, HANDOFF_URL, encode, signed
    from tickets.models import Guest, Ticket

    handler = _root_console_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    caplog.set_level(logging.DEBUG)
    try:
        assert client.post(HANDOFF_URL, data=encode(HANDOFF), content_type="application/json",
                           **signed(HANDOFF)).status_code == 201
        contact = Contact.objects.get(email="pat@acme.example")
        booking = contact.buyer.bookings.get()
        Guest.objects.create(booking=booking, position=1, name="Gina Guest", email="gina@guest.example",
                             phone="+61 4 9999 8888")
        _issue(booking)
        ticket = Ticket.objects.filter(booking=booking).exclude(code="").first()
        portal.request_login_link(email="pat@acme.example", ip="203.0.113.9")
        message = DeliveryMessage.objects.get(kind="magic_link")
        url = crypto.decrypt_text(message.context["accounts"][0]["url_encrypted"], purpose=portal.LINK_PURPOSE)
        link = re.search(r"/portal/sign-in/([\w-]+)/", url).group(1)
        client.get(f"/portal/sign-in/{link}x/")  # a stale link: Django logs "Not Found" with the path
        _, gate_token = devices.create_gate_device(actor=None, event_code=booking.event.code, gate="Gate A")
        code = ticket.code
        client.post("/api/v1/gate/scans", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {gate_token}",
                    data={"code": code or "EC1:NOPE", "nonce": "n1",
                          "scanned_at": (timezone.now() - timedelta(minutes=1)).isoformat()})
        client.get("/api/v1/nowhere", HTTP_AUTHORIZATION=f"Bearer {gate_token}")
        logging.getLogger("eventchain.careless").warning(
            "mailed %s (%s) code %s via %s", "pat@acme.example", "+61 2 5550 1234", code, url)
    finally:
        handler.setStream(previous)
    output = stream.getvalue()
    assert "[email]" in output and "Not Found" in output
    for secret in ["pat@acme.example", "gina@guest.example", "+61 2 5550 1234", gate_token, link, code[4:]]:
        assert secret and secret not in output


def _issue(booking) -> None:
    """Stage and sign the booking's tickets (the handoff leaves it confirmed; earlier lanes are skipped)."""
    from allocation.models import Area, EventUnit, Manifest, ManifestLine, StockState, Unit
    from eventchain.lifecycle import BookingStatus
    from tickets import services as ticket_services

    package = booking.package
    area, _ = Area.objects.get_or_create(venue=booking.event.venue, name="Log test area")
    manifest = Manifest.objects.create(booking=booking, version=1)
    unit = Unit.objects.create(venue=booking.event.venue, area=area, kind=package.inventory_kind, label="LOG-01",
                               capacity=package.seats_per_unit)
    EventUnit.objects.create(event=booking.event, unit=unit, state=StockState.ALLOCATED, booking=booking,
                             package=package)
    ManifestLine.objects.create(manifest=manifest, unit=unit, label=unit.label, kind=unit.kind, area=area.name,
                                seats=package.seats_per_unit, quantity=1, package=package, unit_price=package.unit_price)
    type(booking).objects.filter(pk=booking.pk).update(status=BookingStatus.RELEASED)
    ticket_services.stage_tickets(booking_id=booking.pk, actor=None)
