"""What allocation does when an earlier lane announces something."""

from django.dispatch import receiver

from buyers.models import Booking
from buyers.signals import booking_status_changed
from eventchain.lifecycle import BookingStatus

from .services import release_everything


@receiver(booking_status_changed, sender=Booking, dispatch_uid="allocation.release_on_cancel")
def release_stock_of_cancelled_booking(sender, booking, from_status, to_status, actor, **kwargs):
    """A cancelled booking gives its stock back (in the cancelling transaction)."""
    if to_status != BookingStatus.CANCELLED:
        return
    release_everything(booking, actor=actor, reason="booking cancelled")
