"""Lane 05 tables: ticket designs, signing keys, guests, tickets, their codes, wallet registrations."""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from allocation.models import ManifestLine, Unit
from buyers.models import Booking
from eventchain.models import Event, Package

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #0f2a44.")
# Crockford's alphabet: no I, L, O or U, so a ticket number read aloud or retyped survives.
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def design_asset_dir(event_id: int) -> Path:
    """The only folder a ticket template may read files from (see tickets/pdf/fetcher.py)."""
    return Path(settings.MEDIA_ROOT) / "tickets" / "designs" / str(event_id) / "assets"


def _asset_upload_to(instance, filename: str) -> str:
    suffix = Path(filename).suffix.lower()[:8]
    return f"tickets/designs/{instance.event_id}/assets/{secrets.token_hex(6)}{suffix}"


class TicketDesign(models.Model):
    """An event's ticket branding and template. `version` goes up on every change (renders are cached by it)."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="ticket_design")
    version = models.PositiveIntegerField(default=1)
    primary_colour = models.CharField(max_length=7, default="#0f2a44", validators=[HEX_COLOUR])
    accent_colour = models.CharField(max_length=7, default="#c8a24a", validators=[HEX_COLOUR])
    background_colour = models.CharField(max_length=7, default="#fbf8f1", validators=[HEX_COLOUR])
    text_colour = models.CharField(max_length=7, default="#1b1b1b", validators=[HEX_COLOUR])
    logo = models.FileField(upload_to=_asset_upload_to, blank=True, max_length=200)
    hero = models.FileField(upload_to=_asset_upload_to, blank=True, max_length=200)
    terms = models.TextField(blank=True, help_text="Conditions of entry; blank lines separate paragraphs.")
    html = models.TextField(blank=True, help_text="Template HTML; empty uses the built-in design.")
    css = models.TextField(blank=True, help_text="Template CSS; empty uses the built-in design.")
    entry_opens_at = models.DateTimeField(
        null=True, blank=True, help_text="Codes scan from this time (e.g. gates open); empty: from issue."
    )
    entry_closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Codes stop scanning after this time; empty: 24 hours after the event ends."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{self.event.code} ticket design v{self.version}"

    @property
    def asset_dir(self) -> Path:
        return design_asset_dir(self.event_id)


class SigningKey(models.Model):
    """An event's Ed25519 key for ticket codes. One is active; retired keys still verify old codes."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ticket_signing_keys")
    key_id = models.PositiveIntegerField()
    public_key = models.CharField(max_length=64, help_text="Raw 32-byte Ed25519 public key, base64.")
    private_key_encrypted = models.TextField(help_text="Raw private key, encrypted with eventchain.crypto.")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event", "key_id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "key_id"], name="signing_key_id_per_event"),
            models.UniqueConstraint(fields=["event"], condition=Q(retired_at__isnull=True),
                                    name="one_active_signing_key_per_event"),
            models.CheckConstraint(condition=Q(key_id__gte=1, key_id__lte=65535), name="signing_key_id_fits_code"),
        ]

    def __str__(self):
        return f"{self.event_id} key {self.key_id}{' (retired)' if self.retired_at else ''}"


class Guest(models.Model):
    """One named guest on a booking's guest list (at most headcount)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="guests")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    requirements = models.CharField(max_length=300, blank=True, help_text="Dietary, access or other needs.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["booking", "position"]
        constraints = [models.UniqueConstraint(fields=["booking", "position"], name="guest_position_per_booking")]

    def __str__(self):
        return self.name


class TicketStatus(models.TextChoices):
    STAGED = "staged", "Staged"
    ISSUED = "issued", "Issued"
    SENT = "sent", "Sent"
    REVOKED = "revoked", "Revoked"


class Channel(models.TextChoices):
    EMAIL_BUYER = "email_buyer", "Email to buyer"
    EMAIL_GUEST = "email_guest", "Email to guest"
    PORTAL_COLLECT = "portal_collect", "Collect in portal"


def new_ticket_number(event_code: str) -> str:
    body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"{event_code}-{body[:4]}-{body[4:]}"


class Ticket(models.Model):
    """One pass from a booking's manifest: a seat (or pass) with its current signed code."""

    number = models.CharField(max_length=48, unique=True, help_text="Printed ticket number and wallet serial.")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="tickets")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="tickets")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="tickets")
    manifest_line = models.ForeignKey(ManifestLine, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    seat_index = models.PositiveIntegerField(help_text="1-based position among this booking's passes of the unit.")
    area = models.CharField(max_length=100)
    unit_label = models.CharField(max_length=40)
    seat_label = models.CharField(max_length=40)
    comp = models.BooleanField(default=False)
    entitlements = models.JSONField(default=list, blank=True)
    guest = models.ForeignKey(Guest, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    # Printed while the seat has no guest, so tickets can be issued and counted before names arrive.
    placeholder = models.CharField(max_length=250, blank=True, help_text='e.g. "Guest 3 of 10 — Acme Mining".')
    generation = models.PositiveIntegerField(default=1)
    code = models.CharField(max_length=200, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True, help_text="The current code's validity window.")
    valid_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=TicketStatus.choices, default=TicketStatus.STAGED, db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL_BUYER)
    apple_auth_token = models.CharField(max_length=64, default="", blank=True)
    # The Apple web service's update tag: bumped whenever the pass content changes.
    wallet_updated_at = models.DateTimeField(null=True, blank=True)
    google_save_url = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["booking", "manifest_line_id", "seat_index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "unit", "seat_index"], name="one_ticket_per_manifest_seat"),
            models.UniqueConstraint(fields=["guest"], condition=Q(guest__isnull=False), name="one_ticket_per_guest"),
            models.CheckConstraint(condition=Q(generation__gte=1, generation__lte=65535),
                                   name="ticket_generation_fits_code"),
        ]
        indexes = [
            models.Index(fields=["event", "status"]),
            # A booking's tickets in page order: a page of 25 reads 25 rows, not all the booking's sorted.
            models.Index(fields=["booking", "manifest_line", "seat_index", "id"], name="ticket_booking_page_order"),
        ]

    def __str__(self):
        return self.number

    @property
    def holder_name(self) -> str:
        """The guest's name, or the placeholder while the seat is unnamed."""
        return self.guest.name if self.guest_id else self.placeholder

    @property
    def revoked(self) -> bool:
        return self.status == TicketStatus.REVOKED

    @property
    def place(self) -> str:
        return " · ".join(part for part in (self.area, self.unit_label, self.seat_label) if part)


class TicketCode(models.Model):
    """Every code a ticket has carried; a revoked row is on the event's revocation list for gates."""

    class Reason(models.TextChoices):
        REISSUED = "reissued", "Reissued"
        REVOKED = "revoked", "Revoked"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="codes")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ticket_codes")
    generation = models.PositiveIntegerField()
    key_id = models.PositiveIntegerField()
    code = models.CharField(max_length=200)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=10, choices=Reason.choices, blank=True)

    class Meta:
        ordering = ["ticket", "generation"]
        constraints = [models.UniqueConstraint(fields=["ticket", "generation"], name="one_code_per_generation")]
        indexes = [models.Index(fields=["event", "revoked_at"])]

    def __str__(self):
        return f"{self.ticket_id} gen {self.generation}"


class AppleRegistration(models.Model):
    """A device that added a ticket's pass to Wallet and wants pushes when it changes."""

    device_library_id = models.CharField(max_length=128)
    push_token = models.CharField(max_length=256)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="apple_registrations")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticket", "device_library_id"]
        constraints = [
            models.UniqueConstraint(fields=["device_library_id", "ticket"], name="one_registration_per_device_pass")
        ]

    def __str__(self):
        return f"{self.device_library_id} → {self.ticket_id}"
