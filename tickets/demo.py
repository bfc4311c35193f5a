"""Demo rows for lane 05: branded ticket designs for the demo events, and tickets for any booking the
earlier lanes' demo left released. Idempotent: an event with a design keeps it; issued bookings stay issued."""

import io
import math
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter

from buyers.models import Booking
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event

from . import services
from .models import TicketDesign

TERMS = (
    "This ticket admits one guest, once, to the hospitality area shown. It is checked at entry; if it is reissued, "
    "earlier copies stop working.\n\n"
    "Guests must be 18 or over to be served alcohol and may be asked for photo identification.\n\n"
    "Smart casual dress applies in all hospitality areas. The venue's conditions of entry apply and are available "
    "at the box office."
)

DESIGNS = {
    "GF2026": {"primary_colour": "#0f2a44", "accent_colour": "#c8a24a", "background_colour": "#fbf8f1",
               "text_colour": "#1b1b1b", "hero": ((10, 24, 48), (20, 92, 110), (214, 178, 94))},
    "SF2026": {"primary_colour": "#2b1634", "accent_colour": "#d9a05b", "background_colour": "#fbf7f3",
               "text_colour": "#1d1a1f", "hero": ((30, 12, 40), (110, 40, 70), (230, 170, 100))},
}


def hero_artwork(top, bottom, light, *, seed: int) -> bytes:
    """Night-stadium artwork: a sky gradient, floodlight glow and a bowl of lights; no external images."""
    width, height = 1600, 700
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    glow = Image.new("RGB", (width, height))
    glow_draw = ImageDraw.Draw(glow)
    for x in (240, 1360):
        for radius in range(260, 0, -20):
            shade = int(90 * (1 - radius / 260))
            glow_draw.ellipse([x - radius, 80 - radius, x + radius, 80 + radius],
                              fill=tuple(min(255, c * shade // 120) for c in light))
    image = Image.blend(image, glow.filter(ImageFilter.GaussianBlur(40)), 0.45)
    draw = ImageDraw.Draw(image)
    for row in range(9):
        y = 430 + row * 30
        for _ in range(70):
            x = rng.randrange(0, width)
            r = rng.choice((1, 1, 2, 2, 3))
            bright = rng.randint(120, 255)
            centre = y + rng.randint(-8, 8)
            draw.ellipse([x - r, centre - r, x + r, centre + r], fill=(bright, int(bright * 0.9), int(bright * 0.7)))
    for n in range(7):
        angle = math.radians(70 + n * 6)
        draw.line([(240, 80), (240 + 1600 * math.cos(angle), 80 + 1600 * math.sin(angle))],
                  fill=tuple(c // 3 for c in light), width=2)
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1.2)).save(out, "JPEG", quality=84)
    return out.getvalue()


def seed() -> dict:
    designed = []
    for code, spec in DESIGNS.items():
        event = Event.objects.filter(code=code).first()
        if event is None or TicketDesign.objects.filter(event=event).exists():
            continue
        values = {key: value for key, value in spec.items() if key != "hero"}
        values["terms"] = TERMS
        hero = SimpleUploadedFile(f"{code.lower()}-hero.jpg", hero_artwork(*spec["hero"], seed=event.pk),
                                  content_type="image/jpeg")
        services.save_design(event_id=event.pk, actor="demo", values=values, hero=hero)
        designed.append(code)
    issued = []
    for booking in Booking.objects.filter(status=BookingStatus.RELEASED, event__code__in=DESIGNS):
        if not booking.manifests.exists():
            continue
        services.stage_tickets(booking_id=booking.pk, actor="demo")
        services.produce_staged(booking_id=booking.pk, workers=1)
        services.complete_issuance(booking_id=booking.pk, actor="demo")
        issued.append(booking.reference)
    return {"designs": designed, "issued": issued}
