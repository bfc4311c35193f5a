"""Lane 03's hand-over to finance. Allocation sends; finance subscribes (allocation never imports finance).

`manifest_published` is sent inside the confirming transaction with:
    manifest: allocation.models.Manifest (the new, immutable version)
    previous: the version it replaces, or None
    actor:    the staff user (or label) who confirmed
Receivers raise a DomainError to refuse, which rolls the confirmation back. A receiver that raises
an invoice returns it (or its id), or sets `manifest.invoice_id`; confirm-allocation reports it as
`"invoice"`.

`allocation_cancelled` is sent inside the releasing transaction with:
    booking:  buyers.models.Booking whose stock was all released
    manifest: its latest manifest, or None if it was never confirmed
    actor:    the staff user (or label) who cancelled
"""

from django.dispatch import Signal

manifest_published = Signal()
allocation_cancelled = Signal()
