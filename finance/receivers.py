"""Finance's answers to allocation's hand-over signals (connected in FinanceConfig.ready())."""

from . import services


def on_manifest_published(sender, manifest, previous, actor, **kwargs):
    """Raise the invoice (or the difference) inside the confirming transaction and hand it back.

    Allocation reports the returned invoice's id as `"invoice"` from confirm-allocation; a DomainError
    raised here refuses the confirmation and rolls it back.
    """
    return services.raise_from_manifest(manifest=manifest, previous=previous, actor=actor)


def on_allocation_cancelled(sender, booking, manifest, actor, **kwargs):
    """Stock released from an invoiced booking: credit whatever is still billed."""
    return services.credit_cancelled_booking(booking=booking, manifest=manifest, actor=actor)
