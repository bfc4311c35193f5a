"""Lane 06 tables: emails sent about tickets, what happened to them, portal sign-in links, transfers, uploads."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from buyers.models import Booking, Buyer, Contact
from eventchain.models import OutboxMessage
from tickets.models import Ticket


class MessageKind(models.TextChoices):
    BUYER_BUNDLE = "buyer_bundle", "Bundle to the buyer"
    GUEST_TICKET = "guest_ticket", "Ticket to a guest"
    MAGIC_LINK = "magic_link", "Portal sign-in link"
    RESEND = "resend", "Resent ticket"
    CLAIM_LINK = "claim_link", "Claim link for one seat"
    NAME_REMINDER = "name_reminder", "Guest names reminder"
    EVENT_MESSAGE = "event_message", "Event message"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sending"
    DELIVERED = "delivered_to_smtp", "Delivered to the mail server"
    BOUNCED = "bounced", "Bounced"
    FAILED = "failed", "Failed"


SETTLED = (MessageStatus.DELIVERED, MessageStatus.BOUNCED, MessageStatus.FAILED)


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@eventchain>"


class DeliveryMessage(models.Model):
    """One email about tickets (or a portal sign-in link). Its Message-ID stays the same across retries."""

    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="deliveries")
    kind = models.CharField(max_length=14, choices=MessageKind.choices)
    status = models.CharField(max_length=18, choices=MessageStatus.choices, default=MessageStatus.QUEUED,
                              db_index=True)
    recipient_email = models.EmailField()
    recipient_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300)
    # What the handler renders: e.g. portal sign-in links, or "attachments": false for an oversized bundle.
    context = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=200, unique=True, default=new_message_id)
    outbox = models.OneToOneField(OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job_id = models.UUIDField(null=True, blank=True, db_index=True)
    requested_by = models.CharField(max_length=254, blank=True, help_text="Staff email or contact:<email>.")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    smtp_response = models.CharField(max_length=500, blank=True)
    attachment_bytes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the mail server accepted it.")
    bounced_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True, help_text="First open (tracking pixel).")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["booking", "status"]), models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_email} ({self.status})"

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    @property
    def problem(self) -> bool:
        return self.status in (MessageStatus.BOUNCED, MessageStatus.FAILED)


class TrackingKind(models.TextChoices):
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered to the mail server"
    BOUNCED = "bounced", "Bounced"
    OPENED = "opened", "Email opened"
    DOWNLOADED_PDF = "downloaded_pdf", "PDF downloaded"
    DOWNLOADED_PKPASS = "downloaded_pkpass", "Apple pass downloaded"
    GOOGLE_LINK = "google_link", "Google Wallet link opened"
    WALLET_APPLE = "wallet_apple", "Added to Apple Wallet"
    WALLET_GOOGLE = "wallet_google", "Added to Google Wallet"
    CLAIMED = "claimed", "Transferred to a new guest"


class TrackingEvent(models.Model):
    """Something that happened to a ticket or a message, for the delivery timeline and the counts."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tracking_events")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="tracking_events")
    message = models.ForeignKey(DeliveryMessage, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="events")
    kind = models.CharField(max_length=18, choices=TrackingKind.choices)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["booking", "kind"]), models.Index(fields=["ticket", "at"])]

    def __str__(self):
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class PortalLoginLink(models.Model):
    """A one-time portal sign-in link. Only the SHA-256 of its token is stored."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"portal link for contact {self.contact_id}"


class TicketTransfer(models.Model):
    """A ticket given to a new guest; the previous holder's details are kept here."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
    from_name = models.CharField(max_length=200, blank=True)
    from_email = models.EmailField(blank=True)
    from_phone = models.CharField(max_length=40, blank=True)
    to_name = models.CharField(max_length=200)
    to_email = models.EmailField(blank=True)
    from_generation = models.PositiveIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    actor_label = models.CharField(max_length=254)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.ticket_id}: {self.from_name or 'unnamed'} → {self.to_name}"


class GuestUpload(models.Model):
    """A guest list file uploaded in the portal, stored raw before it is read."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="guest_uploads")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.CharField(max_length=254)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RECEIVED)
    errors = models.JSONField(default=list, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(filename=""), name="guest_upload_has_filename")]

    def __str__(self):
        return f"{self.filename} ({self.outcome})"


from .guestlists.models import (  # noqa: E402, F401
    AddressBookEntry,
    AddressBookInvitation,
    BookingNameOverride,
    ClaimLink,
    EventMessage,
    EventMessageSent,
    EventNamePolicy,
    ReminderSent,
)
