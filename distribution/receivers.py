"""Lane 06 reacting to lane 05: reissued tickets go out again on their channel; wallet adds are tracked."""

import logging

from django.db.models.signals import post_save
from django.dispatch import receiver

from buyers.signals import booking_status_changed
from eventchain.lifecycle import BookingStatus
from tickets.models import AppleRegistration, Guest, TicketStatus
from tickets.signals import ticket_reissued

from .models import TrackingKind
from .services import sending, tracking

log = logging.getLogger(__name__)


@receiver(ticket_reissued, dispatch_uid="distribution-resend-reissued")
def resend_reissued(sender, ticket, previous_generation, actor, **kwargs):
    """A ticket already sent is re-sent with its new code; one never sent goes out with the booking."""
    if ticket.status == TicketStatus.SENT:
        sending.queue_ticket_resend(ticket=ticket, actor=actor, reason="reissued")


@receiver(post_save, sender=Guest, dispatch_uid="distribution-address-book")
def remember_named_guest(sender, instance: Guest, **kwargs):
    """Every guest named with an email joins the buyer's address book, and stays after list edits."""
    from .guestlists import addressbook

    addressbook.remember(instance)


@receiver(post_save, sender=AppleRegistration, dispatch_uid="distribution-track-apple-wallet")
def track_apple_wallet(sender, instance, created, **kwargs):
    """Apple's web service registers a device when a pass is added to Wallet."""
    if created:
        ticket = instance.ticket
        tracking.record(kind=TrackingKind.WALLET_APPLE, booking_id=ticket.booking_id, ticket_id=ticket.pk,
                        data={"device": instance.device_library_id[:64]})


@receiver(booking_status_changed, dispatch_uid="distribution-confirmation-message")
def send_confirmation(sender, booking, from_status, to_status, actor, **kwargs):
    """The first of the event's three messages: right after allocation is confirmed."""
    if to_status == BookingStatus.ALLOCATED:
        from .guestlists import messages

        try:
            messages.send_confirmation(booking)
        except Exception:  # a message problem must never undo the allocation
            log.exception("Confirmation message for booking %s could not be queued", booking.pk)
