"""Report figures against a hand-computed fixture, the API shapes, the console pages and the exports."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pypdfium2
import pytest
from django.utils import timezone
from openpyxl import load_workbook

from allocation.models import EventUnit, Manifest, ManifestLine, StockState, Unit
from buyers.models import Buyer
from distribution.models import TrackingEvent, TrackingKind
from eventchain.lifecycle import BookingStatus
from eventchain.models import Package
from finance.models import CreditNote, Invoice
from reporting.gate import devices
from reporting.gate.scans import ScanInput, record_scan
from reporting.reports import figures
from tickets import services as ticket_services
from tickets.models import AppleRegistration, Channel, Ticket

pytestmark = pytest.mark.django_db


def invoice(booking, number, subtotal, paid="0", credited="0", manifest=None):
    subtotal = Decimal(subtotal)
    tax = subtotal / 10
    total = subtotal + tax
    return Invoice.objects.create(
        number=number, booking=booking, manifest=manifest or booking.manifests.get(version=1), status="posted",
        currency="AUD", issue_date=date(2026, 1, 5), due_date=date(2026, 1, 19), supplier_name="Riverside",
        supplier_tax_number="1", bill_to_name=booking.buyer.name, subtotal=subtotal, tax=tax, total=total,
        amount_paid=Decimal(paid), amount_credited=Decimal(credited),
        amount_due=total - Decimal(paid) - Decimal(credited), ledger_backend="local",
    )


def credit(inv, number, subtotal):
    subtotal = Decimal(subtotal)
    return CreditNote.objects.create(number=number, invoice=inv, reason="reduction", issue_date=date(2026, 1, 9),
                                     subtotal=subtotal, tax=subtotal / 10, total=subtotal * Decimal("1.1"),
                                     amount_applied=subtotal * Decimal("1.1"), ledger_backend="local")


@pytest.fixture
def figures_event(catalogue, make_booking, issue, make_staff):
    """The hand-computed event (numbers worked out in the docstrings of the tests below)."""
    event = catalogue["GF2026"]
    actor = make_staff("ticketing")
    acme = make_booking("BOX-8", units=2, comps=[("PARKING", 2), ("CLUB-SEAT", 1)], area_name="Private Boxes",
                        buyer=Buyer.objects.create(name="Acme Mining"))
    bolt = make_booking("TABLE-10", units=2, area_name="Dining Room", buyer=Buyer.objects.create(name="Bolt Energy"))
    # Bolt reduced to one table: manifest v2 replaces v1, and the second table goes back to stock.
    table = Package.objects.get(event=event, code="TABLE-10")
    first_table, second_table = Unit.objects.filter(label__startswith="TABLE-10").order_by("label")
    v2 = Manifest.objects.create(booking=bolt, version=2)
    ManifestLine.objects.create(manifest=v2, unit=first_table, label=first_table.label, kind="table",
                                area="Dining Room", seats=10, quantity=1, package=table, unit_price=table.unit_price)
    EventUnit.objects.filter(unit=second_table).update(state=StockState.AVAILABLE, booking=None, package=None)
    gone = make_booking("BOX-8", units=1, area_name="Private Boxes", status=BookingStatus.CANCELLED)
    EventUnit.objects.filter(booking=gone).update(state=StockState.AVAILABLE, booking=None, package=None)
    pool = Unit.objects.get(label="PARKING-POOL")
    EventUnit.objects.create(event=event, unit=pool, pool_size=300, pool_taken=2)

    acme_tickets = issue(acme)
    bolt_tickets = issue(bolt)
    assert (len(acme_tickets), len(bolt_tickets)) == (19, 10)
    Ticket.objects.filter(pk__in=[t.pk for t in bolt_tickets[:4]]).update(channel=Channel.EMAIL_GUEST)
    Ticket.objects.filter(pk__in=[t.pk for t in bolt_tickets[4:]]).update(channel=Channel.PORTAL_COLLECT)
    ticket_services.revoke_ticket(ticket_id=acme_tickets[18].pk, actor=actor)
    reissued = ticket_services.reissue_ticket(ticket_id=bolt_tickets[9].pk, actor=actor)
    for ticket in acme_tickets[:2]:
        AppleRegistration.objects.create(device_library_id=f"dev-{ticket.pk}", push_token="t", ticket=ticket)
    for ticket in acme_tickets[2:5]:
        TrackingEvent.objects.create(booking=acme, ticket=ticket, kind=TrackingKind.WALLET_GOOGLE)
    for ticket in acme_tickets[5:7]:
        TrackingEvent.objects.create(booking=acme, ticket=ticket, kind=TrackingKind.DOWNLOADED_PDF)
    TrackingEvent.objects.create(booking=bolt, kind=TrackingKind.DOWNLOADED_PDF)  # the booking's bundle PDF

    device = devices.create_gate_device(actor=None, event_code="GF2026", gate="Gate A")[0]
    device = type(device).objects.select_related("event", "event__venue").get(pk=device.pk)
    codes = [t.code for t in acme_tickets[:5]] + [t.code for t in bolt_tickets[:6]] + [reissued.code]
    codes += [acme_tickets[0].code, "junk"]  # a duplicate and an invalid scan
    for n, code in enumerate(codes):
        record_scan(event=event, device=device, scan=ScanInput(code=code, gate="Gate A", scanned_at=timezone.now(),
                                                               device_id="h1", nonce=f"n{n}"))

    acme_invoice = invoice(acme, "INV-1", "28800.00", paid="10000.00")
    bolt_invoice = invoice(bolt, "INV-2", "19000.00", paid="10450.00", credited="10450.00")
    credit(bolt_invoice, "CN-1", "9500.00")
    gone_invoice = invoice(gone, "INV-3", "14400.00", credited="15840.00")
    credit(gone_invoice, "CN-2", "14400.00")
    return {"event": event, "acme": acme, "bolt": bolt, "invoice": acme_invoice}


def test_event_report_matches_the_hand_computed_figures(figures_event):
    """Seats: Acme 2 boxes (16) + Bolt 2 tables (20) + the cancelled booking's box (8) = 44, 18 available.
    Yield (latest manifests, cancelled excluded): 2 boxes 28,800 + 1 table 9,500 = 38,300 over 3 units
    (12,766.67 each) and 26 paid + 1 comp guests (1,418.52 a head); 27 of 44 seats = 0.6136."""
    report = figures.event_report(figures_event["event"])
    y = report["yield"]
    assert {k: y[k] for k in ("capacity", "units", "allocated", "comps", "passes", "revenue", "revenue_per_unit",
                              "revenue_per_head", "occupancy")} == {
        "capacity": 44, "units": 3, "allocated": 26, "comps": 1, "passes": 2, "revenue": "38300.00",
        "revenue_per_unit": "12766.67", "revenue_per_head": "1418.52", "occupancy": "0.6136"}
    packages = {row["package"]: row for row in y["by_package"]}
    assert set(packages) == {"BOX-8", "CLUB-SEAT", "PARKING", "TABLE-10"}
    assert (packages["BOX-8"]["units"], packages["BOX-8"]["revenue"], packages["BOX-8"]["revenue_per_head"]) == (
        2, "28800.00", "1800.00")
    assert (packages["CLUB-SEAT"]["comps"], packages["PARKING"]["passes"], packages["TABLE-10"]["allocated"]) == (
        1, 2, 10)
    areas = {row["area"]: row for row in y["by_area"]}
    assert areas["Private Boxes"]["capacity"] == 24 and areas["Private Boxes"]["revenue"] == "28800.00"
    assert areas["Dining Room"]["capacity"] == 20 and areas["Dining Room"]["allocated"] == 10
    assert report["capacity"] == {"seats": 44, "units": 5, "available": 18, "held": 0, "blocked": 0, "passes": 300,
                                  "passes_taken": 2, "booked": 27, "sell_through": "0.6136"}
    # 29 tickets, one revoked: Acme's 18 by buyer bundle, Bolt's 4 direct and 6 collected in the portal.
    # Formats: 2 Acme PDFs + Bolt's bundle PDF (its 10 tickets); 2 Apple Wallet adds; 3 Google Wallet saves.
    assert report["channel_mix"] == {"delivery": {"buyer_bundle": 18, "direct_to_guest": 4, "portal_collect": 6},
                                     "format": {"pdf": 12, "apple": 2, "google": 3}}
    # Invoiced 31,680 + 20,900 + 15,840; paid 10,000 + 10,450; credited 10,450 + 15,840; only Acme owes.
    assert report["finance"] == {"currency": "AUD", "invoiced": "68420.00", "paid": "20450.00",
                                 "outstanding": "21680.00", "credited": "26290.00"}
    assert report["attendance"]["tickets"] == 28 and report["attendance"]["admitted"] == 12
    assert report["attendance"]["no_show"] == 0 and report["attendance"]["rate"] == "0.4286"
    assert report["attendance"]["scans"]["admitted"] == 12 and report["attendance"]["scans"]["duplicate"] == 1
    assert report["attendance"]["scans"]["invalid"] == 1
    assert report["tickets"] == {"revoked": 1, "reissued": 1}


def test_booking_report_covers_only_that_booking(figures_event):
    """Acme: 2 boxes for 16 guests + a comp seat and 2 comp parking passes; 28,800 / 17 heads = 1,694.12."""
    report = figures.booking_report(figures_event["acme"])
    y = report["yield"]
    assert (y["capacity"], y["units"], y["allocated"], y["comps"], y["passes"]) == (16, 2, 16, 1, 2)
    assert (y["revenue"], y["revenue_per_unit"], y["revenue_per_head"]) == ("28800.00", "14400.00", "1694.12")
    assert report["finance"] == {"currency": "AUD", "invoiced": "31680.00", "paid": "10000.00",
                                 "outstanding": "21680.00", "credited": "0.00"}
    assert report["attendance"] == {"tickets": 18, "admitted": 5, "no_show": 0, "rate": "0.2778",
                                    "scans": report["attendance"]["scans"]}
    assert report["attendance"]["scans"]["duplicate"] == 1
    assert report["channel_mix"]["delivery"] == {"buyer_bundle": 18, "direct_to_guest": 0, "portal_collect": 0}


def test_report_endpoints_answer_the_api_shape(figures_event, api):
    client = api("reporting")
    event = client.get("/api/v1/events/gf2026/report")
    assert event.status_code == 200
    body = event.json()
    assert {"yield", "channel_mix", "finance", "attendance", "capacity"} <= set(body)
    assert set(body["finance"]) >= {"invoiced", "paid", "outstanding", "credited"}
    assert set(body["attendance"]) >= {"tickets", "admitted", "no_show"}
    booking = client.get(f"/api/v1/bookings/{figures_event['acme'].pk}/report")
    assert booking.status_code == 200 and "capacity" not in booking.json()
    assert booking.json()["yield"]["revenue"] == "28800.00"
    assert client.get("/api/v1/bookings/999999/report").status_code == 404
    assert client.get("/api/v1/events/NOPE/report").json()["errors"][0]["message"].startswith("No event")


def test_report_endpoints_need_the_reports_capability(figures_event, make_staff):
    from django.test import Client

    from eventchain import tokens

    user = make_staff(None)
    _, raw = tokens.create_api_token(actor=None, user_email=user.email, name="no role")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/events/GF2026/report")
    assert response.status_code == 403


def test_event_report_query_count_does_not_grow_with_data(figures_event, django_assert_max_num_queries,
                                                          make_booking, issue):
    with django_assert_max_num_queries(14):
        figures.event_report(figures_event["event"])
    for _ in range(3):
        issue(make_booking("BOX-8", units=2))
    with django_assert_max_num_queries(14):
        figures.event_report(figures_event["event"])


def test_console_report_pages_render_charts_with_table_fallbacks(figures_event, staff_client,
                                                                  django_assert_max_num_queries):
    client = staff_client("reporting")
    with django_assert_max_num_queries(22):
        page = client.get("/console/reporting/events/GF2026/report/")
    body = page.content.decode()
    assert page.status_code == 200
    assert '<svg viewBox' in body and 'role="img"' in body and "<title id=\"chart-revenue-by-package-title\">" in body
    assert "Data table: revenue by package (ex tax)" in body and "38,300.00" in body
    booking = client.get(f"/console/reporting/bookings/{figures_event['acme'].pk}/report/")
    assert booking.status_code == 200 and "Acme Mining" in booking.content.decode()
    assert client.get("/console/reporting/").status_code == 200


def test_exports_open(figures_event, staff_client):
    client = staff_client("reporting")
    csv_response = client.get("/console/reporting/events/GF2026/report/?format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0] == ["section", "metric", "value"]
    assert ["yield", "revenue", "38300.00"] in rows and ["finance", "outstanding", "21680.00"] in rows
    assert ["yield by package", "BOX-8.revenue", "28800.00"] in rows

    xlsx = client.get("/console/reporting/events/GF2026/report/?format=xlsx")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Summary", "Yield by package", "Yield by area"]
    summary = {(r[0], r[1]): r[2] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary[("yield", "revenue")] == 38300 and summary[("attendance", "admitted")] == 12
    assert [c.value for c in book["Yield by package"][1]][:3] == ["package", "name", "units"]

    pdf = client.get(f"/console/reporting/bookings/{figures_event['acme'].pk}/report/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(pdf.content)
    text = document[0].get_textpage().get_text_range()
    assert len(document) >= 1 and "Acme Mining" in text and "28,800.00" in text
    assert document[0].render(scale=0.5).to_pil().size[0] > 100


def test_exports_need_the_export_capability(figures_event, staff_client):
    assert staff_client("sales").get("/console/reporting/events/GF2026/report/?format=csv").status_code == 403
    assert staff_client("sales").get("/console/reporting/events/GF2026/report/").status_code == 200


def test_report_json_is_serialisable(figures_event):
    json.dumps(figures.event_report(figures_event["event"]))
