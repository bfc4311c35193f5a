"""Ticket files for download: served from the render cache, rendered on a miss."""

from pathlib import Path

from . import content, files, pdf, rendering
from .models import Ticket, TicketStatus
from .wallet import apple


def pdf_file(ticket: Ticket, design, fields) -> Path:
    return files.ticket_file(ticket.event_id, ticket.pk, ticket.generation, files.digest(design.key, fields), ".pdf")


def pkpass_file(ticket: Ticket, pass_content) -> Path:
    return files.ticket_file(ticket.event_id, ticket.pk, ticket.generation, files.digest(pass_content), ".pkpass")


def ticket_pdf(ticket: Ticket) -> Path:
    design = content.design_for(ticket.event)
    fields = content.ticket_fields(ticket)
    path = pdf_file(ticket, design, fields)
    if not path.exists():
        files.write_atomic(path, pdf.ticket_pdf(design, fields))
    return path


def ticket_pkpass(ticket: Ticket) -> Path | None:
    """The signed pass (voided once revoked); None when Apple Wallet is not configured."""
    signer = rendering.apple_signer()
    if signer is None:
        return None
    design = content.design_for(ticket.event)
    pass_content = content.pass_content(ticket, design)
    path = pkpass_file(ticket, pass_content)
    if not path.exists():
        files.write_atomic(path, apple.build_pkpass(pass_content, content.pass_images(design), signer))
    return path


def booking_pdf(tickets: list[Ticket]) -> Path | None:
    """All live tickets of one booking in one PDF; None when it has none."""
    live = [ticket for ticket in tickets if ticket.status in (TicketStatus.ISSUED, TicketStatus.SENT)]
    if not live:
        return None
    first = live[0]
    design = content.design_for(first.event)
    fields = [content.ticket_fields(ticket) for ticket in live]
    key = files.digest(design.key, [(ticket.pk, ticket.generation) for ticket in live], fields)
    path = files.booking_file(first.event_id, first.booking_id, key)
    if not path.exists():
        files.write_atomic(path, pdf.booking_pdf(design, fields))
    return path
