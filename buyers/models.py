"""Lane 02 tables: buyer accounts, their contacts and billing entities, bookings and deposit terms."""

import math
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from eventchain.lifecycle import BookingStatus
from eventchain.models import Event, Package
from eventchain.money import to_cents


class Buyer(models.Model):
    """A corporate account that buys hospitality, linked to the sales agent who owns it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=200, db_index=True)
    crm_account_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    sales_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="buyers"
    )
    # A CRM handoff named an agent EventChain does not know: kept here until staff assign one.
    unmatched_agent_email = models.EmailField(blank=True)
    unmatched_agent_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("buyers:detail", args=[self.pk])

    @property
    def needs_agent_assignment(self) -> bool:
        return self.sales_agent_id is None


class ConsentSource(models.TextChoices):
    CRM = "crm", "CRM handoff"
    PORTAL = "portal", "Buyer portal"
    STAFF = "staff", "Staff"


class Contact(models.Model):
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=100, blank=True, help_text="e.g. Event coordinator, EA to the CEO")
    is_primary = models.BooleanField(default=False)
    # Marketing consent travels to the CRM with outcomes; None means nobody has asked yet.
    marketing_consent = models.BooleanField(null=True, blank=True)
    consent_source = models.CharField(max_length=20, choices=ConsentSource.choices, blank=True)
    consent_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer"], condition=models.Q(is_primary=True), name="one_primary_contact_per_buyer"
            ),
            models.UniqueConstraint(fields=["buyer", "email"], name="contact_email_unique_per_buyer"),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class BillingEntity(models.Model):
    """The legal entity an invoice is addressed to; finance stores the ledger's contact id here."""

    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="billing_entities")
    legal_name = models.CharField(max_length=200)
    tax_number = models.CharField(max_length=40, blank=True, help_text="ABN for Australian entities.")
    email = models.EmailField(help_text="Where invoices are sent.")
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="AU", help_text="ISO 3166 two-letter code.")
    ledger_contact_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["legal_name"]
        verbose_name_plural = "billing entities"

    def __str__(self):
        return self.legal_name


class Booking(models.Model):
    """One buyer's purchase of a package for an event, travelling the lifecycle in DESIGN.md."""

    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="bookings")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="bookings")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="bookings")
    billing_entity = models.ForeignKey(
        BillingEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    headcount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    special_requirements = models.TextField(blank=True)
    po_number = models.CharField(max_length=100, blank=True)
    crm_deal_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=BookingStatus.choices, default=BookingStatus.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(auto_now_add=True)
    details_locked_at = models.DateTimeField(null=True, blank=True)
    release_on_deposit = models.BooleanField(
        default=False, help_text="Release tickets once the first installment is paid, not only on full payment."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "status_changed_at"])]

    def __str__(self):
        return f"{self.reference} {self.buyer} — {self.package.code} × {self.headcount}"

    def get_absolute_url(self):
        return reverse("buyers:booking", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"BK-{self.pk:05d}" if self.pk else "BK-new"

    @property
    def details_locked(self) -> bool:
        return self.details_locked_at is not None

    @property
    def units_needed(self) -> int:
        """Whole units of the package that seat the headcount: 25 guests at tables of 10 need 3 tables."""
        return math.ceil(self.headcount / self.package.seats_per_unit)

    @property
    def value(self) -> Decimal:
        """The booking's value excluding tax: unit price × units needed."""
        return to_cents(self.package.unit_price * self.units_needed)


class PaymentInstallment(models.Model):
    """One line of a booking's payment schedule: a percentage of the booking value or a fixed amount."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="installments")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)
    due_date = models.DateField()
    percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["booking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "position"], name="installment_position_unique"),
            models.CheckConstraint(
                condition=models.Q(percent__isnull=False) | models.Q(amount__isnull=False),
                name="installment_percent_or_amount",
            ),
        ]

    def __str__(self):
        share = f"{self.percent}%" if self.percent is not None else str(self.amount)
        return f"{self.label} {share} due {self.due_date}"


class CrmHandoff(models.Model):
    """One delivery to the CRM handoff webhook, stored raw before anything else happens."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        CREATED = "created", "Created"
        DUPLICATE = "duplicate", "Duplicate"
        CONFLICT = "conflict", "Conflict (same deal, different body)"
        UNAUTHORIZED = "unauthorized", "Refused: signature"
        INVALID = "invalid", "Refused: invalid payload"
        FAILED = "failed", "Failed"

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    deal_id = models.CharField(max_length=100, blank=True, db_index=True)
    raw_body = models.BinaryField()
    headers = models.JSONField(default=dict)
    body_hash = models.CharField(max_length=64)
    # Set once the HMAC checked out; only such deliveries may be replayed.
    signature_valid = models.BooleanField(default=False)
    # Hash of the parsed JSON with sorted keys: "same body" for duplicate detection ignores formatting.
    payload_hash = models.CharField(max_length=64, blank=True, db_index=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.RECEIVED)
    status_code = models.PositiveSmallIntegerField(null=True)
    errors = models.JSONField(default=list, blank=True)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs")
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays")

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"handoff {self.deal_id or '?'} {self.outcome}"
