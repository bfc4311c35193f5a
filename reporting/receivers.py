"""Reporting's answers to every earlier lane's hand-overs: the buyer profile stays current by itself.

Lane signals (buyers, allocation, tickets) are the contract; finance and distribution send none, so
their rows are followed with Django's post_save on the models they create (invoice, payment, credit
note; delivery message, tracking event).
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from allocation.signals import allocation_cancelled, manifest_published
from buyers.signals import booking_status_changed
from distribution.models import DeliveryMessage, TrackingEvent, TrackingKind
from eventchain.lifecycle import BookingStatus
from eventchain.money import format_money
from finance.models import CreditNote, Invoice, Payment
from tickets.signals import ticket_reissued, ticket_revoked, tickets_issued

from .models import BookingActivity
from .profile import record_activity, schedule_refresh

Kind = BookingActivity.Kind


@receiver(booking_status_changed, dispatch_uid="reporting-profile-status")
def on_status(sender, booking, from_status, to_status, actor=None, **kwargs):
    labels = dict(BookingStatus.choices)
    record_activity(booking, Kind.STATUS, f"{booking.reference} moved from {labels.get(from_status, from_status).lower()} "
                                          f"to {labels.get(to_status, to_status).lower()}",
                    from_status=from_status, to_status=to_status)
    schedule_refresh(booking.pk)


@receiver(manifest_published, dispatch_uid="reporting-profile-manifest")
def on_manifest(sender, manifest, previous=None, actor=None, **kwargs):
    lines = list(manifest.lines.all())
    paid = [line for line in lines if not line.comp]
    comps = sum(line.seats for line in lines if line.comp)
    summary = (f"Allocation confirmed (manifest v{manifest.version}): "
               + ", ".join(line.label for line in paid[:8]) + (" …" if len(paid) > 8 else "")
               + (f" and {comps} comp places" if comps else ""))
    record_activity(manifest.booking, Kind.ALLOCATION, summary, manifest_version=manifest.version,
                    units=[line.label for line in paid][:50])
    schedule_refresh(manifest.booking_id)


@receiver(allocation_cancelled, dispatch_uid="reporting-profile-allocation-cancelled")
def on_allocation_cancelled(sender, booking, manifest=None, actor=None, **kwargs):
    record_activity(booking, Kind.ALLOCATION, f"Allocation of {booking.reference} cancelled; stock released")
    schedule_refresh(booking.pk)


@receiver(post_save, sender=Invoice, dispatch_uid="reporting-profile-invoice")
def on_invoice(sender, instance, created, **kwargs):
    if created:
        record_activity(instance.booking, Kind.INVOICE,
                        f"{instance.title} {instance.number} raised: {instance.currency} {format_money(instance.total)}",
                        invoice=instance.number, total=format_money(instance.total))
    schedule_refresh(instance.booking_id)


@receiver(post_save, sender=Payment, dispatch_uid="reporting-profile-payment")
def on_payment(sender, instance, created, **kwargs):
    invoice = instance.invoice
    if created:
        reference = f" ({instance.reference})" if instance.reference else ""
        record_activity(invoice.booking, Kind.PAYMENT,
                        f"Payment of {invoice.currency} {format_money(instance.amount)} received on {instance.received_on}"
                        f"{reference} against {invoice.number}",
                        invoice=invoice.number, amount=str(instance.amount))
    schedule_refresh(invoice.booking_id)


@receiver(post_save, sender=CreditNote, dispatch_uid="reporting-profile-credit-note")
def on_credit_note(sender, instance, created, **kwargs):
    invoice = instance.invoice
    if created:
        record_activity(invoice.booking, Kind.INVOICE,
                        f"Credit note {instance.number} of {invoice.currency} {format_money(instance.total)} against {invoice.number}",
                        credit_note=instance.number, total=format_money(instance.total))
    schedule_refresh(invoice.booking_id)


@receiver(tickets_issued, dispatch_uid="reporting-profile-issued")
def on_tickets_issued(sender, booking, actor=None, **kwargs):
    count = booking.tickets.exclude(status="revoked").count()
    record_activity(booking, Kind.TICKETS, f"{count} tickets issued", tickets=count)
    schedule_refresh(booking.pk)


@receiver(ticket_reissued, dispatch_uid="reporting-profile-reissued")
def on_ticket_reissued(sender, ticket, previous_generation=None, actor=None, **kwargs):
    guest = f" for {ticket.guest.name}" if ticket.guest_id else ""
    record_activity(ticket.booking, Kind.TICKETS, f"Ticket {ticket.number}{guest} reissued; the old code is revoked",
                    ticket=ticket.pk, generation=ticket.generation)
    schedule_refresh(ticket.booking_id)


@receiver(ticket_revoked, dispatch_uid="reporting-profile-revoked")
def on_ticket_revoked(sender, ticket, actor=None, **kwargs):
    record_activity(ticket.booking, Kind.TICKETS, f"Ticket {ticket.number} revoked", ticket=ticket.pk)
    schedule_refresh(ticket.booking_id)


# Events worth a line on the timeline; the rest (opens, downloads) only move the counts.
TIMELINE_TRACKING = {TrackingKind.DELIVERED, TrackingKind.BOUNCED, TrackingKind.CLAIMED}


@receiver(post_save, sender=TrackingEvent, dispatch_uid="reporting-profile-tracking")
def on_tracking(sender, instance, created, **kwargs):
    if created and instance.kind in TIMELINE_TRACKING:
        what = instance.get_kind_display()
        about = f" ({instance.message.recipient_email})" if instance.message_id else ""
        record_activity(instance.booking, Kind.DELIVERY, f"{what}{about}", tracking=instance.kind)
    schedule_refresh(instance.booking_id)


@receiver(post_save, sender=DeliveryMessage, dispatch_uid="reporting-profile-delivery")
def on_delivery_message(sender, instance, created, **kwargs):
    if instance.booking_id:
        schedule_refresh(instance.booking_id)
