"""From rows to the plain data the renderers take: designs, ticket fields, wallet pass content.

Renderers (tickets/pdf, tickets/wallet) never touch the database so they can run in worker
processes; this module is the one place that reads models for them.
"""

import hashlib
import io
import json
from dataclasses import asdict
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from eventchain.models import Event, Package

from .models import Ticket, TicketDesign
from .pdf import design as pdf_design
from .wallet import apple, google

VALIDITY_AFTER_END = timedelta(hours=24)


def design_row(event: Event) -> TicketDesign:
    """The event's design row, or an unsaved default one (nothing is written by reading).

    Always read afresh: a cached `event.ticket_design` may predate a save in the same process.
    """
    return TicketDesign.objects.filter(event_id=event.pk).first() or TicketDesign(event=event)


def _local(dt, event: Event):
    return dt.astimezone(event.tz)


def _time(dt) -> str:
    return dt.strftime("%I:%M %p").lstrip("0").replace("AM", "am").replace("PM", "pm")


def event_facts(event: Event, row: TicketDesign) -> pdf_design.EventFacts:
    starts = _local(event.starts_at, event)
    time_text = f"Starts {_time(starts)} {starts.tzname()}"
    if row.entry_opens_at:
        opens = _local(row.entry_opens_at, event)
        time_text = f"Gates {_time(opens)} · Start {_time(starts)} {starts.tzname()}"
    address = [line.strip() for line in event.venue.address.splitlines() if line.strip()]
    return pdf_design.EventFacts(
        name=event.name, code=event.code, date_text=starts.strftime("%A %-d %B %Y"), time_text=time_text,
        venue_name=event.venue.name, venue_address_lines=tuple(address), timezone_name=event.venue.timezone,
    )


def _asset_url(field) -> str:
    if not field:
        return ""
    return Path(settings.MEDIA_ROOT, field.name).resolve().as_uri()


def terms_paragraphs(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip())


def design_for(event: Event, row: TicketDesign | None = None) -> pdf_design.Design:
    """The renderable design; `row` lets a preview render unsaved changes."""
    row = row or design_row(event)
    branding = pdf_design.Branding(
        primary=row.primary_colour, accent=row.accent_colour, background=row.background_colour,
        text=row.text_colour, logo_url=_asset_url(row.logo), hero_url=_asset_url(row.hero),
        terms=terms_paragraphs(row.terms),
    )
    facts = event_facts(event, row)
    html = row.html or pdf_design.default_html()
    css = row.css or pdf_design.default_css()
    # The key names this exact design: the version plus a digest of everything rendered from it,
    # so renaming the event or moving its start also gives fresh files.
    digest = hashlib.sha256(
        json.dumps([asdict(branding), asdict(facts), html, css], sort_keys=True).encode()
    ).hexdigest()[:10]
    return pdf_design.Design(
        key=f"e{event.pk}-v{row.version}-{digest}", html=html, css=css, asset_dir=str(row.asset_dir),
        event=facts, branding=branding,
    )


def package_facts(package: Package) -> pdf_design.PackageFacts:
    entitlements = tuple(str(item) for item in (package.entitlements or []))
    digest = hashlib.sha256(json.dumps([package.name, entitlements]).encode()).hexdigest()[:8]
    return pdf_design.PackageFacts(key=f"p{package.pk}-{digest}", name=package.name, entitlements=entitlements)


def ticket_fields(ticket: Ticket, package: pdf_design.PackageFacts | None = None) -> pdf_design.TicketFields:
    guest = ticket.guest
    if package is None or ticket.entitlements != list(package.entitlements):
        package = pdf_design.PackageFacts(
            key=f"p{ticket.package_id}-{hashlib.sha256(json.dumps(ticket.entitlements).encode()).hexdigest()[:8]}",
            name=ticket.package.name, entitlements=tuple(str(item) for item in ticket.entitlements),
        )
    return pdf_design.TicketFields(
        number=ticket.number, code=ticket.code, package=package,
        guest_name=guest.name if guest else ticket.placeholder, area=ticket.area, unit=ticket.unit_label, seat=ticket.seat_label,
        requirements=guest.requirements if guest else "",
    )


def validity(event: Event, issued_at, row: TicketDesign | None = None) -> tuple:
    """(valid from, valid until) for a code issued at `issued_at` (API.md: Ticket codes)."""
    row = row or design_row(event)
    valid_from = row.entry_opens_at or issued_at
    valid_until = row.entry_closes_at or (event.ends_at + VALIDITY_AFTER_END)
    return min(valid_from, valid_until), valid_until


def pass_content(ticket: Ticket, design: pdf_design.Design) -> apple.PassContent:
    event = ticket.event
    venue = event.venue
    guest = ticket.guest
    expires = ticket.valid_until or event.ends_at + VALIDITY_AFTER_END
    return apple.PassContent(
        serial_number=ticket.number,
        authentication_token=ticket.apple_auth_token,
        web_service_url=f"{settings.EVENTCHAIN_BASE_URL}/wallet/",
        organization_name=settings.EVENTCHAIN_SUPPLIER_NAME,
        description=f"{event.name} hospitality ticket",
        code=ticket.code,
        ticket_number=ticket.number,
        event_name=event.name,
        date_text=design.event.date_text,
        venue_name=venue.name,
        venue_address=", ".join(design.event.venue_address_lines),
        starts_at=_local(event.starts_at, event),
        ends_at=_local(event.ends_at, event),
        expires_at=_local(expires, event),
        guest_name=guest.name if guest else ticket.placeholder,
        area=ticket.area, unit=ticket.unit_label, seat=ticket.seat_label,
        package_name=ticket.package.name,
        entitlements=tuple(str(item) for item in ticket.entitlements),
        requirements=guest.requirements if guest else "",
        terms=design.branding.terms,
        background=design.branding.primary, foreground="#ffffff", label=design.branding.accent,
        latitude=float(venue.latitude) if venue.latitude is not None else None,
        longitude=float(venue.longitude) if venue.longitude is not None else None,
        voided=ticket.revoked,
    )


def google_object_content(ticket: Ticket) -> google.TicketObjectContent:
    event = ticket.event
    valid_from = ticket.valid_from or event.starts_at
    valid_until = ticket.valid_until or event.ends_at + VALIDITY_AFTER_END
    return google.TicketObjectContent(
        event_code=event.code, ticket_number=ticket.number, code=ticket.code,
        guest_name=ticket.holder_name, area=ticket.area, unit=ticket.unit_label,
        seat=ticket.seat_label, package_name=ticket.package.name, valid_from=valid_from, valid_until=valid_until,
        state=google.EXPIRED if ticket.revoked else google.ACTIVE,
    )


def google_class_content(event: Event, design: pdf_design.Design) -> google.EventClassContent:
    return google.EventClassContent(
        event_code=event.code, event_name=event.name, issuer_name=settings.EVENTCHAIN_SUPPLIER_NAME,
        venue_name=event.venue.name, venue_address=", ".join(design.event.venue_address_lines),
        starts_at=event.starts_at, ends_at=event.ends_at, background=design.branding.primary,
        # The buyer portal (lane 06) records save/delete callbacks here; Google calls only https URLs.
        callback_url=f"{settings.EVENTCHAIN_BASE_URL}/portal/wallet/google/callback/",
    )


# Wallet images -------------------------------------------------------------------------------------

def pass_images(design: pdf_design.Design) -> dict[str, bytes]:
    return _pass_images(design.key, design.branding.primary, design.branding.accent, design.event.name,
                        design.branding.logo_url, design.branding.hero_url)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def _font(size: int):
    try:
        return ImageFont.truetype("DejaVuSerif.ttf", size)
    except OSError:
        return ImageFont.load_default()


def _from_file_url(url: str) -> Image.Image | None:
    if not url.startswith("file://"):
        return None
    try:
        return Image.open(Path(url[7:])).convert("RGBA")
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=16)
def _pass_images(key: str, primary: str, accent: str, name: str, logo_url: str, hero_url: str) -> dict[str, bytes]:
    images = {}
    for suffix, side in (("", 29), ("@2x", 58), ("@3x", 87)):
        icon = Image.new("RGB", (side, side), primary)
        draw = ImageDraw.Draw(icon)
        font = _font(int(side * 0.62))
        letter = (name[:1] or "E").upper()
        draw.text((side / 2, side / 2), letter, fill=accent, font=font, anchor="mm")
        images[f"icon{suffix}.png"] = _png(icon)
    logo = _from_file_url(logo_url)
    for suffix, (width, height) in (("", (160, 50)), ("@2x", (320, 100))):
        if logo is not None:
            canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
            copy = logo.copy()
            copy.thumbnail((width, height))
            canvas.paste(copy, (0, (height - copy.height) // 2), copy)
            images[f"logo{suffix}.png"] = _png(canvas)
    hero = _from_file_url(hero_url)
    if hero is not None:
        for suffix, (width, height) in (("", (375, 123)), ("@2x", (750, 246))):
            strip = hero.convert("RGB")
            scale = max(width / strip.width, height / strip.height)
            strip = strip.resize((max(width, int(strip.width * scale)), max(height, int(strip.height * scale))))
            left, top = (strip.width - width) // 2, (strip.height - height) // 2
            images[f"strip{suffix}.png"] = _png(strip.crop((left, top, left + width, top + height)))
    return images
