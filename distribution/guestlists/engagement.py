"""Engagement a coordinator can trust: opens are counted apart (mail privacy features inflate them) from
what a guest did on purpose: claimed the seat, downloaded the ticket, added it to a wallet."""

from django.db.models import Count, Q

from tickets.models import Ticket, TicketStatus

from ..models import TrackingEvent, TrackingKind

LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
DOWNLOADS = (TrackingKind.DOWNLOADED_PDF, TrackingKind.DOWNLOADED_PKPASS)
WALLET = (TrackingKind.WALLET_APPLE, TrackingKind.WALLET_GOOGLE)


def booking_engagement(booking_id: int) -> dict:
    """Distinct emails opened; distinct live tickets claimed, downloaded, in a wallet, and in hand (either)."""
    live = Ticket.objects.filter(booking_id=booking_id, status__in=LIVE)
    events = TrackingEvent.objects.filter(booking_id=booking_id)
    counts = events.aggregate(
        opened=Count("message", filter=Q(kind=TrackingKind.OPENED), distinct=True),
        claimed=Count("ticket", filter=Q(kind=TrackingKind.CLAIMED, data__via="claim_link",
                                         ticket__status__in=LIVE), distinct=True),
        downloaded=Count("ticket", filter=Q(kind__in=DOWNLOADS, ticket__status__in=LIVE), distinct=True),
        wallet=Count("ticket", filter=Q(kind__in=WALLET, ticket__status__in=LIVE), distinct=True),
        in_hand=Count("ticket", filter=Q(kind__in=DOWNLOADS + WALLET, ticket__status__in=LIVE), distinct=True),
    )
    counts["live"] = live.count()
    return counts
