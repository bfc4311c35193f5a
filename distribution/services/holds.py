"""Distribution under the kernel's velocity rules and rate limits.

Transfers count against the buyer, file downloads against the signed-in portal session, and portal
writes share a per-session budget per minute. Portal sessions are Django sessions (no table of our
own), so a session is named by a hash of its key: the key itself is a credential and is never stored.
"""

import hashlib

from django.conf import settings
from django.urls import reverse

from buyers.models import Buyer, Contact
from eventchain import ratelimit, velocity
from tickets import holds as ticket_holds
from tickets.models import Ticket


def buyer_subject(buyer: Buyer) -> velocity.Subject:
    return velocity.Subject("buyer", str(buyer.pk), f"Buyer {buyer.name}", reverse("buyers:detail", args=[buyer.pk]))


def session_subject(session_key: str, contact: Contact) -> velocity.Subject:
    digest = hashlib.sha256(f"portal-session:{session_key}".encode()).hexdigest()[:32]
    return velocity.Subject("portal_session", digest, f"Portal session of {contact.email} ({contact.buyer.name})",
                            reverse("buyers:detail", args=[contact.buyer_id]))


def ensure_transfer_allowed(buyer: Buyer, ticket: Ticket) -> None:
    velocity.ensure_not_held(buyer_subject(buyer), action="transferring tickets")
    ticket_holds.ensure_not_held(ticket, action="transferring it")


def count_transfer(buyer: Buyer, *, actor) -> None:
    velocity.observe("buyer_transfers", subject=buyer_subject(buyer), actor=actor)


def count_download(*, session_key: str, contact: Contact, tickets: list[Ticket]) -> None:
    """Refuse (StateConflict) while the session or a ticket is held; otherwise count the download."""
    session = session_subject(session_key, contact)
    velocity.ensure_not_held(session, action="downloading tickets in this session")
    held = ticket_holds.held_ticket_ids([ticket.pk for ticket in tickets])  # one query for a whole booking
    for ticket in tickets:
        if ticket.pk in held:
            ticket_holds.ensure_not_held(ticket, action="downloading it")
    velocity.observe("session_downloads", subject=session, actor=f"contact:{contact.email}")


def spend_action_budget(*, session_key: str) -> None:
    """One portal write from this session; RateLimited (429 with Retry-After) past the per-minute budget."""
    limit = getattr(settings, "EVENTCHAIN_PORTAL_ACTIONS_PER_MINUTE", 30)
    if limit > 0:
        ratelimit.hit("portal-action", session_key, limit=limit, window=60,
                      message="You made a lot of changes in a short time; please wait a moment.")
