"""Recording what happened to messages and tickets (opens, downloads, wallet adds)."""

from django.db import transaction
from django.utils import timezone

from ..models import DeliveryMessage, TrackingEvent, TrackingKind


def record(*, kind: str, booking_id: int, ticket_id: int | None = None, message: DeliveryMessage | None = None,
           data: dict | None = None) -> TrackingEvent:
    return TrackingEvent.objects.create(kind=kind, booking_id=booking_id, ticket_id=ticket_id, message=message,
                                        data=data or {})


def record_open(*, message_id: int, user_agent: str = "") -> bool:
    """The pixel loaded. Only the first open of a message is recorded (image proxies refetch it)."""
    with transaction.atomic():
        message = DeliveryMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.opened_at is not None or message.booking_id is None:
            return False
        message.opened_at = timezone.now()
        message.save(update_fields=["opened_at"])
        record(kind=TrackingKind.OPENED, booking_id=message.booking_id, message=message,
               data={"user_agent": user_agent[:200]})
    return True


def record_download(*, kind: str, booking_id: int, ticket_id: int | None, message_id: int | None,
                    source: str) -> TrackingEvent:
    message = DeliveryMessage.objects.filter(pk=message_id).first() if message_id else None
    return record(kind=kind, booking_id=booking_id, ticket_id=ticket_id, message=message, data={"source": source})


def record_google_wallet(*, issuer_id: str, object_id: str, event_type: str, nonce: str) -> TrackingEvent | None:
    """A verified Google Wallet callback. Saves count as wallet adds; a repeated nonce records nothing."""
    from tickets.models import Ticket
    from tickets.wallet import google

    prefix = f"{issuer_id}.ticket-"
    if event_type != "save" or not object_id.startswith(prefix):
        return None
    ticket = Ticket.objects.filter(number=object_id.removeprefix(prefix).upper()).first()
    if ticket is None or google.object_id(issuer_id, ticket.number) != object_id:
        return None
    with transaction.atomic():
        if nonce and TrackingEvent.objects.filter(kind=TrackingKind.WALLET_GOOGLE, ticket=ticket,
                                                  data__nonce=nonce).exists():
            return None
        return record(kind=TrackingKind.WALLET_GOOGLE, booking_id=ticket.booking_id, ticket_id=ticket.pk,
                      data={"nonce": nonce[:100], "source": "Google Wallet callback"})
