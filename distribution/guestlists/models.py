"""Name deadlines (per event, overridable per booking), per-seat claim links, reminders sent."""

from django.db import models
from django.db.models import Q

from buyers.models import Booking
from eventchain.models import Event, Package
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


class EventMessage(models.Model):
    """Staff's wording of one of an event's three messages; a package row overrides the event's (VIP content)."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation after allocation"
        LOGISTICS = "logistics", "Pre-event logistics"
        FOLLOWUP_ATTENDED = "followup_attended", "Follow-up to attendees"
        FOLLOWUP_NO_SHOW = "followup_no_show", "Follow-up to no-shows"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="guest_messages")
    package = models.ForeignKey(Package, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    days_before = models.PositiveSmallIntegerField(default=3, help_text="Logistics: days before the event.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "kind", "package"]
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], condition=Q(package__isnull=True),
                                    name="one_event_message_per_kind"),
            models.UniqueConstraint(fields=["event", "kind", "package"], condition=Q(package__isnull=False),
                                    name="one_package_message_per_kind"),
        ]

    def __str__(self):
        return f"{self.event_id} {self.kind}"


class EventMessageSent(models.Model):
    """One of the three messages went to one recipient of a booking; the unique row sends it once."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="event_messages_sent")
    kind = models.CharField(max_length=20, choices=EventMessage.Kind.choices)
    recipient_email = models.EmailField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["booking", "kind", "recipient_email"],
                                               name="one_event_message_per_recipient")]

    def __str__(self):
        return f"{self.booking_id} {self.kind} → {self.recipient_email}"


class AddressBookEntry(models.Model):
    """Everyone a buyer has ever named, one row per email (lower-cased), kept when guest lists change."""

    buyer = models.ForeignKey("buyers.Buyer", on_delete=models.CASCADE, related_name="address_book")
    email = models.EmailField()
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    requirements = models.TextField(blank=True)
    last_invited_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "address book entries"
        constraints = [models.UniqueConstraint(fields=["buyer", "email"], name="address_book_email_per_buyer")]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class AddressBookInvitation(models.Model):
    """One booking a person from the address book was named on (counts invitations per season)."""

    entry = models.ForeignKey(AddressBookEntry, on_delete=models.CASCADE, related_name="invitations")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "booking"], name="address_book_invitation_once")]

    def __str__(self):
        return f"{self.entry_id} on booking {self.booking_id}"
