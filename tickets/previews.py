"""A sample ticket for an event's design: validates a template on save and drives the live preview.

The preview is a PNG of the real PDF when pypdfium2 is installed, else the template's HTML.
"""

import io

from eventchain.models import Event

from . import content, pdf
from .models import TicketDesign
from .pdf import qr
from .pdf.design import TicketFields, html_for


def sample_fields(event: Event) -> TicketFields:
    package = event.packages.order_by("-seats_per_unit", "code").first()
    facts = content.package_facts(package) if package else pdf.PackageFacts(key="sample", name="Hospitality")
    return TicketFields(
        number=f"{event.code}-SAMP-LE01", code=qr.sample_code(), package=facts, guest_name="Alex Example",
        area="Level 2 Suites", unit="SUITE-07", seat="Seat 3", requirements="Vegetarian",
    )


def sample_pdf(event: Event, row: TicketDesign | None = None) -> bytes:
    return pdf.ticket_pdf(content.design_for(event, row), sample_fields(event))


def sample_html(event: Event, row: TicketDesign | None = None) -> str:
    return html_for(content.design_for(event, row), [sample_fields(event)])


def png_available() -> bool:
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return False
    return True


def sample_png(event: Event, row: TicketDesign | None = None, *, scale: float = 1.0) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument(sample_pdf(event, row))
    try:
        image = document[0].render(scale=scale).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
