"""Lane 02's hand-over signals. Buyers sends; later lanes subscribe (buyers never imports them).

`booking_status_changed` is sent inside the transaction that moved the booking, with:
    booking:     buyers.models.Booking (already saved with the new status)
    from_status: the previous status
    to_status:   the new status
    actor:       the staff user, a label such as "crm-webhook", or None
Receivers raise a DomainError to refuse, which rolls the move back.
"""

from django.dispatch import Signal

booking_status_changed = Signal()
