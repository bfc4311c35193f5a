"""Name deadlines (per event, overridable per booking), per-seat claim links, reminders sent."""

from django.db import models
from django.db.models import Q

from buyers.models import Booking
from eventchain.models import Event
from tickets.models import Ticket


class EventNamePolicy(models.Model):
    """When an event's guest names are due, and when lists freeze for the gate."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="name_policy")
    names_due_at = models.DateTimeField(help_text="Reminders go to coordinators before this.")
    cutoff_at = models.DateTimeField(help_text="After this only staff can change guest lists.")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(cutoff_at__gte=models.F("names_due_at")),
                                              name="name_cutoff_not_before_deadline")]

    def __str__(self):
        return f"{self.event_id} names due {self.names_due_at:%Y-%m-%d}"


class BookingNameOverride(models.Model):
    """A booking's own deadline or cut-off; an empty field uses the event's."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="name_override")
    names_due_at = models.DateTimeField(null=True, blank=True)
    cutoff_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.booking_id} name override"


class ClaimLink(models.Model):
    """A link a coordinator hands to one guest to name one seat. Only the SHA-256 of its token is stored."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="claim_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.CharField(max_length=254)
    sent_to = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "used_at", "revoked_at"])]

    def __str__(self):
        return f"claim link for ticket {self.ticket_id}"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class ReminderSent(models.Model):
    """One name reminder for one booking and one deadline; the unique row makes it go out once."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="name_reminders")
    names_due_at = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    missing = models.PositiveIntegerField()
    sent = models.BooleanField(default=True, help_text="False: passed over because a later reminder was due.")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["booking", "names_due_at", "days_before"],
                                               name="one_name_reminder_per_stage")]

    def __str__(self):
        return f"{self.booking_id}: {self.days_before} days before"
