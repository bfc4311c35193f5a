"""Lane 03's hand-over to finance. Allocation sends; finance subscribes (allocation never imports finance).

`manifest_published` is sent inside the confirming transaction with:
    manifest: allocation.models.Manifest (the new, immutable version)
    previous: the version it replaces, or None
    actor:    the staff user (or label) who confirmed
Receivers raise a DomainError to refuse, which rolls the confirmation back.
"""

from django.dispatch import Signal

manifest_published = Signal()
allocation_cancelled = Signal()
