"""Lane 05 reacting to earlier lanes: a cancelled booking's tickets are revoked everywhere."""

from django.dispatch import receiver

from buyers.signals import booking_status_changed
from eventchain.lifecycle import BookingStatus


@receiver(booking_status_changed, dispatch_uid="tickets-revoke-on-cancel")
def revoke_on_cancel(sender, booking, from_status, to_status, actor, **kwargs):
    if to_status != BookingStatus.CANCELLED:
        return
    from .services import revoke_booking_tickets

    revoke_booking_tickets(booking=booking, actor=actor, reason="booking cancelled")
