"""Attendance per guest (one row per ticket): admitted at the gate, or a no-show once the event closes."""

from django.db import models

from buyers.models import Booking
from eventchain.models import Event
from tickets.models import Ticket


class Attendance(models.Model):
    class Status(models.TextChoices):
        ADMITTED = "admitted", "Admitted"
        NO_SHOW = "no_show", "No-show"

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="attendance")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=8, choices=Status.choices)
    gate = models.CharField(max_length=100, blank=True, help_text="Where the guest first came in.")
    first_admitted_at = models.DateTimeField(null=True, blank=True)
    last_admitted_at = models.DateTimeField(null=True, blank=True)
    admissions = models.PositiveIntegerField(default=0, help_text="More than one when re-entry is allowed.")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "booking", "ticket"]
        indexes = [models.Index(fields=["event", "status"]), models.Index(fields=["booking", "status"])]

    def __str__(self):
        return f"{self.ticket_id} {self.status}"
