"""Ticket PDFs: what they show, a QR a real reader decodes to a valid code, the asset-only fetcher, caching."""

import io
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from eventchain.errors import ValidationFailed
from tickets import content, downloads, files, keys, pdf, services
from tickets.models import Ticket
from tickets.pdf import fetcher

pytestmark = pytest.mark.django_db


def pages(data: bytes) -> list[tuple[Image.Image, str]]:
    document = pypdfium2.PdfDocument(data)
    try:
        result = []
        for page in document:
            text = page.get_textpage().get_text_range()
            result.append((page.render(scale=2).to_pil(), text))
        return result
    finally:
        document.close()


def decoded(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image) if barcode.format == zxingcpp.BarcodeFormat.QRCode]


def name_guests(booking, staff, names):
    services.set_guest_list(booking_id=booking.pk, actor=staff,
                            guests=[{"name": n, "email": f"g{i}@x.example", "requirements": "Vegetarian"}
                                    for i, n in enumerate(names)])


def test_ticket_pdf_shows_the_ticket_and_its_qr_decodes_to_a_valid_code(issued, make_staff):
    booking = issued("BOX-8")
    name_guests(booking, make_staff("ticketing"), ["Penelope Featherstonehaugh"])
    ticket = Ticket.objects.select_related("event", "event__venue", "guest", "package").get(
        booking=booking, guest__isnull=False)
    data = downloads.ticket_pdf(ticket).read_bytes()
    [(image, text)] = pages(data)
    assert decoded(image) == [ticket.code]
    claim = keys.verify(decoded(image)[0])
    assert (claim.ticket_id, claim.generation, claim.event_id) == (ticket.pk, 1, booking.event_id)
    local_start = booking.event.starts_at.astimezone(booking.event.tz)
    for expected in ("Grand Final", "Riverside Stadium", "Penelope Featherstonehaugh", ticket.number,
                     ticket.unit_label, ticket.area, ticket.seat_label, "Lounge access", "Vegetarian",
                     local_start.strftime("%-d %B %Y"), local_start.strftime("%I:%M").lstrip("0")):
        assert expected in text, expected


def test_names_outside_the_fast_fonts_use_the_full_render(issued, make_staff):
    booking = issued("BOX-8")
    name_guests(booking, make_staff("ticketing"), ["Αλέξανδρος Παπαδόπουλος"])
    ticket = Ticket.objects.select_related("event", "event__venue", "guest", "package").get(
        booking=booking, guest__isnull=False)
    design = content.design_for(ticket.event)
    fields = content.ticket_fields(ticket)
    assert not pdf.layer_for(design, fields.package).covers(fields)
    [(image, text)] = pages(downloads.ticket_pdf(ticket).read_bytes())
    assert "Αλέξανδρος" in text and decoded(image) == [ticket.code]


def test_fast_and_full_renders_show_the_same_ticket(issued):
    booking = issued("BOX-8")
    ticket = Ticket.objects.select_related("event", "event__venue", "guest", "package").filter(booking=booking).first()
    design = content.design_for(ticket.event)
    fields = content.ticket_fields(ticket)
    layer = pdf.layer_for(design, fields.package)
    assert layer is not None and layer.covers(fields)
    [(fast_image, fast_text)] = pages(layer.ticket_pdf(fields))
    [(full_image, full_text)] = pages(pdf.render_full_pdf(design, [fields]))
    assert decoded(fast_image) == decoded(full_image) == [ticket.code]
    for word in (ticket.number, ticket.unit_label, "Guest 1 of 8", "Your hospitality"):
        assert word in fast_text and word in full_text


def test_unnamed_tickets_print_a_placeholder_until_a_guest_is_named(issued, make_staff):
    booking = issued("BOX-8", extra_lines=[("PARKING", 1)])
    tickets = list(Ticket.objects.filter(booking=booking).order_by("id"))
    placeholders = [ticket.placeholder for ticket in tickets]
    buyer = booking.buyer.name
    assert placeholders == [f"Guest {n} of 8 — {buyer}" for n in range(1, 9)] + [f"Extra pass — {buyer}"]
    third = Ticket.objects.select_related("event", "event__venue", "guest", "package").get(pk=tickets[2].pk)
    [(_, text)] = pages(downloads.ticket_pdf(third).read_bytes())
    assert f"Guest 3 of 8 — {buyer}" in text
    name_guests(booking, make_staff("ticketing"), ["Penelope Featherstonehaugh"])
    named = Ticket.objects.select_related("guest").get(booking=booking, guest__isnull=False)
    assert named.holder_name == "Penelope Featherstonehaugh"


def test_booking_pdf_has_a_page_per_live_ticket(api, issued):
    booking = issued("BOX-8", extra_lines=[("PARKING", 1)])
    first = Ticket.objects.filter(booking=booking).first()
    services.revoke_ticket(ticket_id=first.pk, actor=None)
    response = api("ticketing").get(f"/api/v1/bookings/{booking.pk}/tickets/pdf")
    assert response.status_code == 200
    rendered = pages(b"".join(response.streaming_content))
    assert len(rendered) == 8  # 8 box seats + 1 parking pass - 1 revoked
    codes_seen = {code for image, _ in rendered for code in decoded(image)}
    expected = set(Ticket.objects.filter(booking=booking).exclude(pk=first.pk).values_list("code", flat=True))
    assert codes_seen == expected


def test_reissue_invalidates_the_cached_pdf(issued, make_staff):
    booking = issued("BOX-8")
    ticket = Ticket.objects.select_related("event", "event__venue", "guest", "package").filter(booking=booking).first()
    old_path = downloads.ticket_pdf(ticket)
    assert old_path.exists()
    services.reissue_ticket(ticket_id=ticket.pk, actor=make_staff("ticketing"))
    assert not old_path.exists()
    ticket.refresh_from_db()
    new_path = downloads.ticket_pdf(ticket)
    assert new_path != old_path and "-g2-" in new_path.name
    [(image, _)] = pages(new_path.read_bytes())
    assert decoded(image) == [ticket.code]


def test_template_change_invalidates_cached_pdfs_and_shows_the_branding(issued, make_staff, catalogue):
    booking = issued("BOX-8")
    ticket = Ticket.objects.select_related("event", "event__venue", "guest", "package").filter(booking=booking).first()
    old_path = downloads.ticket_pdf(ticket)
    logo = io.BytesIO()
    Image.new("RGB", (300, 100), "#aa0000").save(logo, "PNG")
    design = services.save_design(
        event_id=booking.event_id, actor=make_staff("ticketing"),
        values={"primary_colour": "#4b1d3f", "terms": "No pets.\n\nDress code: smart casual."},
        logo=SimpleUploadedFile("logo.png", logo.getvalue(), content_type="image/png"),
    )
    assert design.version == 2
    assert not old_path.exists()
    assert Path(design.logo.path).is_relative_to(design.asset_dir)
    new_path = downloads.ticket_pdf(ticket)
    assert new_path != old_path
    [(image, text)] = pages(new_path.read_bytes())
    assert "Dress code: smart casual." in text and decoded(image) == [ticket.code]
    pixel = image.getpixel((20, 20))[:3]  # the hero band takes the primary colour (under a faint gradient)
    assert all(abs(got - want) <= 12 for got, want in zip(pixel, (0x4B, 0x1D, 0x3F), strict=True)), pixel


@pytest.mark.parametrize("reference", [
    "http://example.com/logo.png",
    "https://example.com/font.woff2",
    "file:///etc/passwd",
    "file:///work/main/README.md",
    "../../../../etc/hostname",
])
def test_templates_cannot_reach_the_network_or_the_file_system(catalogue, make_staff, reference):
    event = catalogue["GF2026"]
    css = f'.hero {{ background-image: url("{reference}"); }}'
    with pytest.raises(ValidationFailed) as caught:
        services.save_design(event_id=event.pk, actor=make_staff("ticketing"), values={"css": css})
    assert "asset" in caught.value.message or "data:" in caught.value.message
    assert content.design_row(event).pk is None  # nothing saved


def test_fetcher_allows_data_uris_and_own_assets(tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "mark.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    (tmp_path / "secret.txt").write_text("no")
    fetch = fetcher.AssetOnlyFetcher(assets)
    assert fetch("data:text/plain;base64,aGk=").read() == b"hi"
    assert fetch((assets / "mark.svg").as_uri()).read().startswith(b"<svg")
    for url in ((tmp_path / "secret.txt").as_uri(), (assets / ".." / "secret.txt").as_uri(), "ftp://x/y",
                "http://127.0.0.1/"):
        with pytest.raises(fetcher.ForbiddenResource):
            fetch(url)


def test_cache_files_are_named_by_generation_and_design(issued):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    produced = sorted(p.name for p in files.event_dir(booking.event_id).glob(f"t{ticket.pk}-*"))
    assert produced and all(name.startswith(f"t{ticket.pk}-g1-") for name in produced)
