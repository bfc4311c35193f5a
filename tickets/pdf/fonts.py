"""Fonts the fast composer writes per-ticket text with.

Each font a template uses for a per-ticket field is subset once per process to a fixed Latin
repertoire (names, seats, notes in English and western European languages) and embedded as a
CIDFontType2 with Identity-H encoding, so a ticket's text is just glyph ids. A field with a
character outside the repertoire makes the ticket take the full WeasyPrint path instead.
"""

import hashlib
import io
from dataclasses import dataclass, field
from functools import lru_cache

import pydyf
from fontTools import subset
from fontTools.ttLib import TTFont

REPERTOIRE = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x218, 0x21C),
     0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x2022, 0x2026, 0x20AC, 0x2122]
)


@dataclass
class EmbeddedFont:
    """A subset font: glyph ids and advance widths per character, and its PDF objects once added."""

    postscript_name: str
    glyph_ids: dict[int, int]
    widths: dict[int, int]  # glyph id -> advance in 1/1000 em
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    italic_angle: float
    font_file: bytes  # the subset TrueType file
    tag: str = field(default="")

    def covers(self, text: str) -> bool:
        return all(ord(char) in self.glyph_ids for char in text)

    def measure(self, text: str, size: float, letter_spacing: float = 0.0) -> float:
        """Width of `text` in points at `size` points."""
        ids = self.glyph_ids
        units = sum(self.widths.get(ids.get(ord(char), 0), 0) for char in text)
        return units * size / 1000 + letter_spacing * len(text)

    def encode(self, text: str) -> bytes:
        """`text` as the hex string operand of Tj (two bytes per glyph, Identity-H)."""
        ids = self.glyph_ids
        return b"<" + "".join(f"{ids.get(ord(char), 0):04X}" for char in text).encode("ascii") + b">"

    def add_to(self, pdf: pydyf.PDF) -> bytes:
        """Add the font's objects to `pdf`; returns the reference of its Type0 dictionary."""
        font_file = pydyf.Stream([self.font_file], pydyf.Dictionary({"Length1": len(self.font_file)}), compress=True)
        pdf.add_object(font_file)
        flags = 32 | (64 if self.italic_angle else 0)  # nonsymbolic (+ italic)
        descriptor = pydyf.Dictionary({
            "Type": "/FontDescriptor",
            "FontName": f"/{self.tag}+{self.postscript_name}",
            "Flags": flags,
            "FontBBox": pydyf.Array(self.bbox),
            "ItalicAngle": self.italic_angle,
            "Ascent": self.ascent,
            "Descent": self.descent,
            "CapHeight": self.cap_height,
            "StemV": 80,
            "FontFile2": font_file.reference,
        })
        pdf.add_object(descriptor)
        widths = pydyf.Array()
        for glyph in sorted(self.widths):
            widths.extend([glyph, pydyf.Array([self.widths[glyph]])])
        cid_font = pydyf.Dictionary({
            "Type": "/Font",
            "Subtype": "/CIDFontType2",
            "BaseFont": f"/{self.tag}+{self.postscript_name}",
            "CIDSystemInfo": pydyf.Dictionary({
                "Registry": pydyf.String("Adobe"), "Ordering": pydyf.String("Identity"), "Supplement": 0,
            }),
            "FontDescriptor": descriptor.reference,
            "W": widths,
            "CIDToGIDMap": "/Identity",
        })
        pdf.add_object(cid_font)
        to_unicode = pydyf.Stream([self._to_unicode_cmap()], compress=True)
        pdf.add_object(to_unicode)
        type0 = pydyf.Dictionary({
            "Type": "/Font",
            "Subtype": "/Type0",
            "BaseFont": f"/{self.tag}+{self.postscript_name}",
            "Encoding": "/Identity-H",
            "DescendantFonts": pydyf.Array([cid_font.reference]),
            "ToUnicode": to_unicode.reference,
        })
        pdf.add_object(type0)
        return type0.reference

    def _to_unicode_cmap(self) -> bytes:
        # So text in the PDF can be selected, searched and read aloud.
        pairs = sorted({glyph: char for char, glyph in self.glyph_ids.items()}.items())
        lines = [
            b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
            b"1 begincodespacerange", b"<0000> <FFFF>", b"endcodespacerange",
        ]
        for start in range(0, len(pairs), 100):
            chunk = pairs[start:start + 100]
            lines.append(f"{len(chunk)} beginbfchar".encode())
            lines.extend(f"<{glyph:04X}> <{char:04X}>".encode() for glyph, char in chunk)
            lines.append(b"endbfchar")
        lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
        return b"\n".join(lines)


def load(font_bytes: bytes, index: int = 0) -> EmbeddedFont:
    """The subset font for these font file bytes; cached per process by content."""
    return _load(hashlib.sha256(font_bytes).hexdigest(), font_bytes, index)


@lru_cache(maxsize=16)
def _load(digest: str, font_bytes: bytes, index: int) -> EmbeddedFont:
    font = TTFont(io.BytesIO(font_bytes), fontNumber=index, lazy=False)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = [1, 2, 4, 6]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "DSIG", "BASE", "JSTF", "MATH"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=REPERTOIRE)
    subsetter.subset(font)
    output = io.BytesIO()
    font.save(output)

    upem = font["head"].unitsPerEm
    scale = 1000 / upem
    order = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    cmap = font.getBestCmap() or {}
    glyph_ids = {char: order[name] for char, name in cmap.items() if name in order}
    widths = {gid: round(font["hmtx"][name][0] * scale) for name, gid in order.items()}
    os2 = font.get("OS/2")
    head = font["head"]
    post = font.get("post")
    name = (font["name"].getDebugName(6) or "EventChainFont").replace(" ", "-")
    tag = "".join(chr(65 + b % 26) for b in hashlib.md5(digest.encode(), usedforsecurity=False).digest()[:6])
    return EmbeddedFont(
        postscript_name=name,
        glyph_ids=glyph_ids,
        widths=widths,
        ascent=round(font["hhea"].ascent * scale),
        descent=round(font["hhea"].descent * scale),
        cap_height=round((getattr(os2, "sCapHeight", 0) or font["hhea"].ascent * 0.7) * scale),
        bbox=(round(head.xMin * scale), round(head.yMin * scale), round(head.xMax * scale), round(head.yMax * scale)),
        italic_angle=float(post.italicAngle) if post else 0.0,
        font_file=output.getvalue(),
        tag=tag,
    )


