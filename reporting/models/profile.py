"""The buyer profile's per-booking status, kept current by signal receivers (reporting/profile.py)."""

from decimal import Decimal

from django.db import models
from django.utils import timezone

from buyers.models import Booking, Buyer

ZERO = Decimal("0.00")


def _money(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, **kwargs)


class BookingSnapshot(models.Model):
    """Allocation, invoice and payment, delivery and attendance of one booking, as of `updated_at`."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="snapshot")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="booking_snapshots")
    status = models.CharField(max_length=12)
    manifest_version = models.PositiveIntegerField(null=True, blank=True)
    units = models.PositiveIntegerField(default=0)
    seats = models.PositiveIntegerField(default=0)
    comps = models.PositiveIntegerField(default=0)
    allocation_value = _money(help_text="Ex tax, from the latest manifest.")
    invoice_numbers = models.CharField(max_length=200, blank=True)
    invoiced = _money()
    paid = _money()
    credited = _money()
    outstanding = _money()
    tickets = models.PositiveIntegerField(default=0, help_text="Live tickets (issued or sent).")
    tickets_sent = models.PositiveIntegerField(default=0)
    tickets_revoked = models.PositiveIntegerField(default=0)
    tickets_reissued = models.PositiveIntegerField(default=0)
    delivery = models.JSONField(default=dict, blank=True, help_text="Delivery tracking counts from distribution.")
    admitted = models.PositiveIntegerField(default=0)
    no_show = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["buyer", "booking"]

    def __str__(self):
        return f"snapshot of booking {self.booking_id}"

    @property
    def payment_state(self) -> str:
        if not self.invoiced:
            return "not invoiced"
        if self.outstanding <= 0:
            return "paid" if self.paid else "settled"
        return "part paid" if self.paid else "unpaid"


class BookingActivity(models.Model):
    """One thing that happened to a booking in any lane, in words a buyer's account manager reads."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status"
        ALLOCATION = "allocation", "Allocation"
        INVOICE = "invoice", "Invoice"
        PAYMENT = "payment", "Payment"
        TICKETS = "tickets", "Tickets"
        DELIVERY = "delivery", "Delivery"
        ATTENDANCE = "attendance", "Attendance"
        CRM = "crm", "CRM"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="activity")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="booking_activity")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    when = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-when", "-id"]
        indexes = [models.Index(fields=["buyer", "-when"]), models.Index(fields=["booking", "-when"])]

    def __str__(self):
        return self.summary


class SnapshotDirty(models.Model):
    """A booking whose snapshot is behind a committed change: written in the changing transaction (so it commits
    or rolls back with the change), taken and deleted by `reporting.tasks.refresh_dirty_snapshots`.

    One row per changing transaction, not one per booking: a unique booking would make the insert wait on (or,
    with ON CONFLICT DO NOTHING, silently skip) a mark a flush is taking, and a skipped mark whose flush read the
    booking before this transaction committed loses the change. The flush takes the duplicates together.
    """

    booking_id = models.BigIntegerField(help_text="No foreign key: a mark for a deleted booking is simply dropped.")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"booking {self.booking_id} snapshot due"
