"""What a ticket template is rendered from, and the full (one WeasyPrint layout per page) render.

Everything here is plain data so it can be pickled to render workers: no models. The template is
Django template source from the event's ticket design, rendered by an engine with no loaders (an
uploaded template cannot include files) and fetched through `AssetOnlyFetcher`.

Per-ticket fields sit in elements marked `data-slot="<name>"`; the fast composer (fast.py) renders
the rest once and writes only those fields per ticket. Slots: guest_name, area, unit, seat, number,
requirements (text, one line each) and qr (a square box).
"""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.template import Context, Engine
from weasyprint import HTML

from . import qr
from .fetcher import AssetOnlyFetcher

DEFAULT_DIR = Path(__file__).resolve().parent / "default"
TEXT_SLOTS = ("guest_name", "area", "unit", "seat", "number", "requirements")
# Laid out in static layers so each slot has a line box to measure; never painted.
PLACEHOLDER = "Hg"
EMPTY_TEXT = {"guest_name": "Guest to be named", "requirements": "None noted"}
STATIC_CSS = "\n[data-slot] { visibility: hidden !important; }\n"


@lru_cache(maxsize=1)
def default_html() -> str:
    return (DEFAULT_DIR / "ticket.html").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_css() -> str:
    return (DEFAULT_DIR / "ticket.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class EventFacts:
    name: str
    code: str
    date_text: str
    time_text: str
    venue_name: str
    venue_address_lines: tuple[str, ...]
    timezone_name: str


@dataclass(frozen=True)
class Branding:
    primary: str = "#0f2a44"
    accent: str = "#c8a24a"
    background: str = "#fbf8f1"
    text: str = "#1b1b1b"
    logo_url: str = ""
    hero_url: str = ""
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    """One version of an event's ticket design. `key` changes whenever anything here changes."""

    key: str
    html: str
    css: str
    asset_dir: str
    event: EventFacts
    branding: Branding


@dataclass(frozen=True)
class PackageFacts:
    key: str
    name: str
    entitlements: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketFields:
    """The per-ticket values printed on a ticket."""

    number: str
    code: str
    package: PackageFacts
    guest_name: str = ""
    area: str = ""
    unit: str = ""
    seat: str = ""
    requirements: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def slot_text(self, name: str) -> str:
        return getattr(self, name)


@lru_cache(maxsize=8)
def _compiled(source: str):
    # No loaders, no extra libraries: {% include %} and {% load %} of anything custom cannot work.
    return Engine(loaders=[], debug=False, autoescape=True).from_string(source)


def display_text(fields: TicketFields, name: str) -> str:
    """What a slot shows: the field, or a default for an empty one (both render paths use this)."""
    return fields.slot_text(name) or EMPTY_TEXT.get(name, "")


def _ticket_context(fields: TicketFields, *, static: bool) -> dict:
    values = {name: (PLACEHOLDER if static else display_text(fields, name)) for name in TEXT_SLOTS}
    values["qr_svg"] = "" if static else qr.svg(fields.code)
    values["package"] = {"name": fields.package.name, "entitlements": list(fields.package.entitlements)}
    return values


def html_for(design: Design, tickets: list[TicketFields], *, static: bool = False) -> str:
    css = design.css + (STATIC_CSS if static else "")
    context = {
        "css": css,
        "event": design.event,
        "branding": design.branding,
        "tickets": [_ticket_context(fields, static=static) for fields in tickets],
    }
    return _compiled(design.html).render(Context(context))


def fetcher_for(design: Design) -> AssetOnlyFetcher:
    return AssetOnlyFetcher(design.asset_dir)


def render_document(design: Design, tickets: list[TicketFields], *, static: bool = False):
    """Lay out `tickets` (one page each) with WeasyPrint; returns the weasyprint Document."""
    source = html_for(design, tickets, static=static)
    base_url = Path(design.asset_dir).resolve().as_uri() + "/"
    return HTML(string=source, base_url=base_url, url_fetcher=fetcher_for(design)).render()


def render_full_pdf(design: Design, tickets: list[TicketFields]) -> bytes:
    """The straightforward render: the whole template laid out by WeasyPrint for these tickets."""
    return render_document(design, tickets).write_pdf()
