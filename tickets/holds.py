"""Tickets under the kernel's velocity rules: a ticket reissued too often is held for review."""

from django.urls import reverse

from eventchain import velocity

from .models import Ticket


def ticket_subject(ticket: Ticket) -> velocity.Subject:
    return velocity.Subject("ticket", str(ticket.pk), f"Ticket {ticket.number}",
                            reverse("tickets:booking", args=[ticket.booking_id]))


def ensure_not_held(ticket: Ticket, *, action: str) -> None:
    """StateConflict while a velocity flag holds the ticket (e.g. "reissuing it", "downloading it")."""
    velocity.ensure_not_held(ticket_subject(ticket), action=action)


def held_ticket_ids(ticket_ids) -> set[int]:
    """The held ones among these tickets, in one query (for list pages)."""
    return {int(pk) for pk in velocity.held_ids("ticket", ticket_ids)}
