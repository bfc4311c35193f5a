"""What each buyer got out of an event, computed when it closes and sent back to the CRM."""

from decimal import Decimal

from django.db import models

from buyers.models import Buyer
from eventchain.models import Event, OutboxMessage


class BuyerOutcome(models.Model):
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="outcomes")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="buyer_outcomes")
    bookings = models.PositiveIntegerField(default=0)
    tickets = models.PositiveIntegerField(default=0)
    admitted = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    attendance_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"))
    spend = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"),
                                help_text="Invoiced less credited, tax included.")
    outstanding = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    tickets_reissued = models.PositiveIntegerField(default=0)
    renewal = models.BooleanField(default=False, help_text="Worth re-engaging for the next cycle.")
    computed_at = models.DateTimeField(auto_now=True)
    message = models.ForeignKey(OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-renewal", "-attendance_rate", "buyer__name"]
        constraints = [models.UniqueConstraint(fields=["buyer", "event"], name="one_outcome_per_buyer_event")]
        indexes = [models.Index(fields=["renewal", "event"])]

    def __str__(self):
        return f"{self.buyer} at {self.event_id}"
