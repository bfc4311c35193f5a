"""The fast ticket renderer: lay the template out once, then write each ticket's fields over it.

WeasyPrint spends ~30 ms laying out a ticket page and ~50 ms more per separate document. Almost all
of a ticket is the same for every guest of an event and package (artwork, branding, event facts,
entitlements, terms), so `StaticLayer.build` renders that once with the per-ticket slots laid out
but hidden, records where each slot is and which font and size it uses, and keeps the PDF objects
serialised. A ticket PDF is then those bytes plus one small content stream: the slot texts drawn
with embedded subset fonts (fonts.py) and the QR symbol as rectangles (qr.py). Output is a normal
PDF: static page content first, ticket content on top, text selectable.

Text that the embedded fonts cannot show (e.g. a name in a non-Latin script) is the caller's cue to
use the full render for that ticket: see `StaticLayer.covers`.
"""

import re
import zlib
from dataclasses import dataclass, field

import pydyf
from weasyprint import DEFAULT_OPTIONS
from weasyprint.pdf import generate_pdf
from weasyprint.pdf.fonts import Font as WeasyFont
from weasyprint.text.fonts import get_pango_font_key

from . import fonts, qr
from .design import TEXT_SLOTS, Design, PackageFacts, TicketFields, display_text, render_document

PX_TO_PT = 0.75
MIN_SHRINK = 0.72
_REF = re.compile(rb"(\d+) 0 R")


class LayerError(Exception):
    """The template cannot be composed fast (e.g. a slot is missing or not a block); use the full render."""


@dataclass
class TextSlot:
    name: str
    x: float
    baseline: float
    width: float
    align: str
    font: str
    size: float
    colour: tuple[float, float, float]
    transform: str
    letter_spacing: float


@dataclass
class StaticLayer:
    """One event design + package rendered without its per-ticket fields, ready to compose."""

    key: str
    media_box: tuple[float, float, float, float]
    slots: list[TextSlot]
    qr_box: tuple[float, float, float]
    qr_colour: tuple[float, float, float]
    fonts: dict[str, fonts.EmbeddedFont]
    objects: list[bytes]  # object bodies numbered 1..n (references already use those numbers)
    resources: int
    content: int  # the static page content stream
    prelude: int  # a stream holding "q", so ticket content starts from the default state
    title: str
    _prefix: tuple[bytes, list[int]] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, design: Design, package: PackageFacts) -> "StaticLayer":
        sample = TicketFields(number="", code=qr.sample_code(), package=package)
        document = render_document(design, [sample], static=True)
        if len(document.pages) != 1:
            raise LayerError(f"The ticket template laid out {len(document.pages)} pages for one ticket; it must be one.")
        page = document.pages[0]
        height_pt = page.height * PX_TO_PT
        found = _find_slots(page._page_box)
        missing = [name for name in (*TEXT_SLOTS, "qr") if name not in found]
        if missing:
            raise LayerError(f"The template has no block element for slot(s): {', '.join(missing)}.")

        options = {**DEFAULT_OPTIONS}
        pdf = generate_pdf(document, None, 1, **options)
        page_dict = pdf.objects[pdf.pages["Kids"][0]]
        resources_ref = page_dict["Resources"]
        content_ref = page_dict["Contents"]
        resources = _object_for(pdf, resources_ref)
        font_dict = _object_for(pdf, resources["Font"]) if isinstance(resources.get("Font"), bytes) else None
        if font_dict is None:
            font_dict = pydyf.Dictionary()
            pdf.add_object(font_dict)
            resources["Font"] = font_dict.reference

        embedded: dict[str, fonts.EmbeddedFont] = {}
        by_file: dict[str, str] = {}
        slots: list[TextSlot] = []
        instances = [(slot_name, *instance) for slot_name in TEXT_SLOTS for instance in found[slot_name]]
        for name, box, textbox in instances:
            if textbox is None:
                raise LayerError(f"Slot '{name}' has no text line to measure.")
            font_bytes, index = _font_of(textbox)
            font = fonts.load(font_bytes, index)
            resource = by_file.get(font.tag)
            if resource is None:
                resource = f"ECF{len(by_file) + 1}"
                by_file[font.tag] = resource
                embedded[resource] = font
                font_dict[resource] = font.add_to(pdf)
            style = textbox.style
            spacing = style["letter_spacing"]
            slots.append(TextSlot(
                name=name,
                x=box.content_box_x() * PX_TO_PT,
                baseline=height_pt - (textbox.position_y + textbox.baseline) * PX_TO_PT,
                width=box.width * PX_TO_PT,
                align=_align(style["text_align_all"]),
                font=resource,
                size=style["font_size"] * PX_TO_PT,
                colour=_rgb(style["color"]),
                transform=style["text_transform"],
                letter_spacing=0.0 if spacing == "normal" else float(spacing) * PX_TO_PT,
            ))
        qr_box_px, _ = found["qr"][0]
        side = min(qr_box_px.width, qr_box_px.height)
        qr_x = qr_box_px.content_box_x() + (qr_box_px.width - side) / 2
        qr_y = qr_box_px.content_box_y() + (qr_box_px.height - side) / 2
        qr_box = (qr_x * PX_TO_PT, height_pt - (qr_y + side) * PX_TO_PT, side * PX_TO_PT)

        prelude = pydyf.Stream([b"q"])
        pdf.add_object(prelude)
        # Keep what the page content needs (resources, fonts, images, shadings...); outlines,
        # the page tree and the catalog are written per file.
        data = {obj.number: obj.data for obj in pdf.objects[1:]}
        reachable = _reachable(data, [_number(resources_ref), _number(content_ref), prelude.number])
        numbering = {number: new for new, number in enumerate(sorted(reachable), start=1)}
        bodies = [_renumber(data[number], numbering) for number in sorted(reachable)]
        media_box = tuple(float(v) for v in page_dict["MediaBox"])
        return cls(
            key=f"{design.key}:{package.key}",
            media_box=media_box,
            slots=slots,
            qr_box=qr_box,
            qr_colour=_rgb(qr_box_px.style["color"]),
            fonts=embedded,
            objects=bodies,
            resources=numbering[_number(resources_ref)],
            content=numbering[_number(content_ref)],
            prelude=numbering[prelude.number],
            title=design.event.name,
        )

    def covers(self, fields: TicketFields) -> bool:
        """Whether every slot's text can be drawn with the embedded fonts."""
        return all(
            self.fonts[slot.font].covers(_transform(display_text(fields, slot.name), slot.transform))
            for slot in self.slots
        )

    def ticket_stream(self, fields: TicketFields) -> bytes:
        ops = [b"Q"]
        for slot in self.slots:
            text = _transform(display_text(fields, slot.name), slot.transform)
            if text:
                ops.append(self._text_ops(slot, text))
        x, y, size = self.qr_box
        ops.append(qr.pdf_ops(fields.code, x=x, y=y, size=size, colour=self.qr_colour))
        return b"\n".join(ops)

    def _text_ops(self, slot: TextSlot, text: str) -> bytes:
        font = self.fonts[slot.font]
        size = slot.size
        width = font.measure(text, size, slot.letter_spacing)
        if width > slot.width:
            # Shrink a long name a little before cutting it: a full name reads better than an ellipsis.
            size = max(slot.size * MIN_SHRINK, size * slot.width / width)
            width = font.measure(text, size, slot.letter_spacing)
            while width > slot.width and len(text) > 1:
                text = text[:-2].rstrip() + "…"
                width = font.measure(text, size, slot.letter_spacing)
        x = slot.x
        if slot.align == "center":
            x += (slot.width - width) / 2
        elif slot.align == "right":
            x += slot.width - width
        r, g, b = slot.colour
        # Tc (character spacing) outlives ET, so every slot sets its own.
        return (
            b"BT /%s %.3f Tf %.3f Tc %.4f %.4f %.4f rg 1 0 0 1 %.3f %.3f Tm %s Tj ET"
            % (slot.font.encode(), size, slot.letter_spacing, r, g, b, x, slot.baseline, font.encode(text))
        )

    # Writing PDFs -------------------------------------------------------------------------------

    def ticket_pdf(self, fields: TicketFields) -> bytes:
        return write_pdf([(self, fields)], title=f"{self.title} — {fields.number}")


HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def _layer_prefix(layer: StaticLayer) -> tuple[bytes, list[int]]:
    """The header and the layer's objects as written first in a file, with their offsets (cached)."""
    if layer._prefix is None:
        out = bytearray(HEADER)
        offsets = []
        for number, body in enumerate(layer.objects, start=1):
            offsets.append(len(out))
            out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        layer._prefix = (bytes(out), offsets)
    return layer._prefix


def write_pdf(pages: list[tuple[StaticLayer, TicketFields]], *, title: str) -> bytes:
    """A PDF with one page per (layer, ticket); each distinct layer's objects are written once."""
    first = pages[0][0]
    prefix, prefix_offsets = _layer_prefix(first)
    out = bytearray(prefix)
    offsets: list[int] = [0, *prefix_offsets]
    bases: dict[int, int] = {id(first): 0}

    def add(body: bytes) -> int:
        offsets.append(len(out))
        number = len(offsets) - 1
        out.extend(b"%d 0 obj\n" % number)
        out.extend(body)
        out.extend(b"\nendobj\n")
        return number

    for layer, _ in pages:
        if id(layer) not in bases:
            base = len(offsets) - 1
            bases[id(layer)] = base
            for body in layer.objects:
                add(_shift(body, base))

    pages_number = len(offsets) - 1 + 2 * len(pages) + 1
    kids = []
    for layer, fields in pages:
        base = bases[id(layer)]
        stream = zlib.compress(layer.ticket_stream(fields), 6)
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream))
        box = b" ".join(b"%.3f" % v for v in layer.media_box)
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [%s] /TrimBox [%s] /Resources %d 0 R "
            b"/Contents [%d 0 R %d 0 R %d 0 R] >>"
            % (pages_number, box, box, layer.resources + base, layer.prelude + base, layer.content + base, content)
        ))
    kid_refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    assert add(b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(kids), kid_refs)) == pages_number
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_number)
    info = add(b"<< /Producer " + pydyf.String("EventChain").data + b" /Title " + pydyf.String(title).data + b" >>")
    xref = len(out)
    out.extend(b"xref\n0 %d\n0000000000 65535 f \n" % len(offsets))
    out.extend(b"".join(b"%010d 00000 n \n" % offset for offset in offsets[1:]))
    out.extend(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
               % (len(offsets), catalog, info, xref))
    return bytes(out)


# Helpers ---------------------------------------------------------------------------------------

def _find_slots(root) -> dict[str, list[tuple]]:
    """Block boxes of `data-slot` elements by slot name (a slot may appear more than once, e.g. on a stub)."""
    found: dict[str, list[tuple]] = {}
    seen_elements = set()
    for box in _walk(root):
        element = getattr(box, "element", None)
        name = element.get("data-slot") if element is not None else None
        if not name or id(element) in seen_elements or type(box).__name__ not in {"BlockBox", "TableCellBox"}:
            continue
        seen_elements.add(id(element))
        textbox = next((d for d in _walk(box) if type(d).__name__ == "TextBox"), None)
        found.setdefault(name, []).append((box, textbox))
    return found


def _walk(box):
    """Every box under `box`, including absolutely positioned ones (Box.descendants skips those)."""
    box = getattr(box, "_box", box)  # an AbsolutePlaceholder wraps the laid-out box
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _font_of(textbox) -> tuple[bytes, int]:
    """The font file WeasyPrint (Pango) chose for this text box's first run."""
    layout = textbox.pango_layout
    layout.reactivate(textbox.style)
    try:
        line, _ = layout.get_first_line()
        pango_font = line.runs[0].data.item.analysis.font
        _, description, size = get_pango_font_key(pango_font)
        font = WeasyFont(pango_font, description, size)
        return font.file_content, font.index
    finally:
        layout.deactivate()


def _object_for(pdf: pydyf.PDF, reference: bytes):
    return pdf.objects[_number(reference)]


def _number(reference: bytes) -> int:
    return int(reference.split()[0])


def _reachable(data: dict[int, bytes], roots: list[int]) -> set[int]:
    seen: set[int] = set()
    pending = list(roots)
    while pending:
        number = pending.pop()
        if number in seen:
            continue
        seen.add(number)
        head = data[number].partition(b"\nstream\n")[0]
        pending.extend(int(match.group(1)) for match in _REF.finditer(head))
    return seen


def _renumber(body: bytes, numbering: dict[int, int]) -> bytes:
    head, sep, tail = body.partition(b"\nstream\n")
    try:
        head = _REF.sub(lambda m: b"%d 0 R" % numbering[int(m.group(1))], head)
    except KeyError as exc:
        raise LayerError(f"The static layer refers to a page-level PDF object ({exc}); use the full render.") from exc
    return head + sep + tail


def _shift(body: bytes, base: int) -> bytes:
    head, sep, tail = body.partition(b"\nstream\n")
    return _REF.sub(lambda m: b"%d 0 R" % (int(m.group(1)) + base), head) + sep + tail


def _align(value: str) -> str:
    return {"center": "center", "right": "right", "end": "right"}.get(value, "left")


def _rgb(colour) -> tuple[float, float, float]:
    r, g, b = colour.to("srgb").coordinates
    return (min(max(r, 0.0), 1.0), min(max(g, 0.0), 1.0), min(max(b, 0.0), 1.0))


def _transform(text: str, transform: str) -> str:
    if transform == "uppercase":
        return text.upper()
    if transform == "lowercase":
        return text.lower()
    if transform == "capitalize":
        return text.title()
    return text
