"""Lane 06 reacting to lane 05: reissued tickets go out again on their channel; wallet adds are tracked."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from tickets.models import AppleRegistration, TicketStatus
from tickets.signals import ticket_reissued

from .models import TrackingKind
from .services import sending, tracking


@receiver(ticket_reissued, dispatch_uid="distribution-resend-reissued")
def resend_reissued(sender, ticket, previous_generation, actor, **kwargs):
    """A ticket already sent is re-sent with its new code; one never sent goes out with the booking."""
    if ticket.status == TicketStatus.SENT:
        sending.queue_ticket_resend(ticket=ticket, actor=actor, reason="reissued")


@receiver(post_save, sender=AppleRegistration, dispatch_uid="distribution-track-apple-wallet")
def track_apple_wallet(sender, instance, created, **kwargs):
    """Apple's web service registers a device when a pass is added to Wallet."""
    if created:
        ticket = instance.ticket
        tracking.record(kind=TrackingKind.WALLET_APPLE, booking_id=ticket.booking_id, ticket_id=ticket.pk,
                        data={"device": instance.device_library_id[:64]})
