"""Ticket PDFs: the fast composer for the common case, the full WeasyPrint render otherwise."""

import logging
from collections import OrderedDict

from .design import Design, PackageFacts, TicketFields, render_document, render_full_pdf
from .fast import LayerError, StaticLayer, write_pdf

log = logging.getLogger(__name__)

_LAYERS: "OrderedDict[tuple[str, str], StaticLayer | None]" = OrderedDict()
_MAX_LAYERS = 32


def layer_for(design: Design, package: PackageFacts) -> StaticLayer | None:
    """This process's static layer for (design version, package); None if the template cannot be composed fast."""
    key = (design.key, package.key)
    if key in _LAYERS:
        _LAYERS.move_to_end(key)
        return _LAYERS[key]
    try:
        layer = StaticLayer.build(design, package)
    except LayerError as exc:
        log.warning("Ticket design %s renders the slow way: %s", design.key, exc)
        layer = None
    _LAYERS[key] = layer
    while len(_LAYERS) > _MAX_LAYERS:
        _LAYERS.popitem(last=False)
    return layer


def ticket_pdf(design: Design, fields: TicketFields) -> bytes:
    layer = layer_for(design, fields.package)
    if layer is not None and layer.covers(fields):
        return layer.ticket_pdf(fields)
    return render_full_pdf(design, [fields])


def booking_pdf(design: Design, tickets: list[TicketFields]) -> bytes:
    """All of a booking's tickets in one PDF, one page each."""
    if not tickets:
        raise ValueError("A booking PDF needs at least one ticket.")
    layers = [layer_for(design, fields.package) for fields in tickets]
    if all(layer is not None and layer.covers(fields) for layer, fields in zip(layers, tickets, strict=True)):
        return write_pdf(list(zip(layers, tickets, strict=True)), title=design.event.name)
    return render_full_pdf(design, tickets)


__all__ = [
    "Design", "PackageFacts", "TicketFields", "booking_pdf", "layer_for", "render_document", "render_full_pdf",
    "ticket_pdf",
]
