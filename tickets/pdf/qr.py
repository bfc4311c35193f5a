"""QR symbols for ticket codes: inline SVG (qrcode.image.svg) for templates, rectangles for the fast composer.

Both come from the same `qrcode` symbol. The mask is fixed: every mask is valid to a reader, and
letting qrcode score all eight costs ~7 ms a ticket, most of the fast path's budget.
"""

from functools import lru_cache

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

MASK = 4


def _symbol(data: str, image_factory=None) -> qrcode.QRCode:
    symbol = qrcode.QRCode(
        version=_version_for(data), error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=MASK,
        image_factory=image_factory,
    )
    # One segment (optimize=0): the bit length then depends only on length and mode, so the version can be cached.
    symbol.add_data(data, optimize=0)
    symbol.make(fit=False)
    return symbol


_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_VERSIONS: dict[tuple[int, bool], int] = {}


def _version_for(data: str) -> int:
    """The smallest version for data of this length and mode. Every code has the same length, so this runs
    qrcode's fitting (which encodes the data twice) once per process instead of once per ticket."""
    key = (len(data.encode("utf-8")), all(char in _ALPHANUMERIC for char in data))
    if key not in _VERSIONS:
        probe = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=MASK)
        probe.add_data(data, optimize=0)
        probe.make(fit=True)
        _VERSIONS[key] = probe.version
    return _VERSIONS[key]


def matrix(data: str) -> list[list[bool]]:
    return _symbol(data).get_matrix()


def svg(data: str) -> str:
    """An inline <svg> fragment that fills its container (the template sizes the container)."""
    image = _symbol(data, SvgPathImage).make_image()
    root = image._img  # the ElementTree root qrcode builds; sized here so CSS decides the printed size
    root.set("width", "100%")
    root.set("height", "100%")
    root.set("preserveAspectRatio", "xMidYMid meet")
    root.set("shape-rendering", "crispEdges")
    return image.to_string(encoding="unicode")


def pdf_ops(data: str, *, x: float, y: float, size: float, colour: tuple[float, float, float] = (0, 0, 0)) -> bytes:
    """PDF content operators drawing the symbol in a `size`-point square whose bottom-left is (x, y)."""
    rows = matrix(data)
    count = len(rows)
    module = size / count
    out = [b"q %.4f %.4f %.4f rg" % colour]
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        start = None
        for c, dark in enumerate((*row, False)):
            if dark and start is None:
                start = c
            elif not dark and start is not None:
                out.append(b"%.3f %.3f %.3f %.3f re" % (x + start * module, top, (c - start) * module, module))
                start = None
    out.append(b"f Q")
    return b"\n".join(out)


@lru_cache(maxsize=1)
def sample_code() -> str:
    """A code-shaped placeholder for previews: same length and alphabet as a real EC1 code."""
    return "EC1:" + "SAMPLE" * 23 + "SAMPL"
