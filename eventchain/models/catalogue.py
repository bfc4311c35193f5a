"""The event catalogue every lane reads: venues, events and the packages sold for them."""

import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse

CODE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{1,31}$", "Use 2–32 capital letters, digits or dashes, e.g. GF2026 or TABLE-10."
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone; use one like Australia/Sydney.")


class InventoryKind(models.TextChoices):
    SEAT = "seat", "Seat"
    TABLE = "table", "Table"
    SUITE = "suite", "Suite"
    BOX = "box", "Box"
    ROOM = "room", "Room"
    PASS = "pass", "Pass"


class Venue(models.Model):
    name = models.CharField(max_length=200, unique=True)
    address = models.TextField(blank=True)
    timezone = models.CharField(
        max_length=64, default="Australia/Sydney", validators=[validate_time_zone],
        help_text="Event times are shown in this zone.",
    )
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalogue:venue-edit", args=[self.pk])


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ON_SALE = "on_sale", "On sale"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    code = models.CharField(max_length=32, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(max_length=200)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="events")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ON_SALE)

    class Meta:
        ordering = ["starts_at", "code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start")
        ]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def get_absolute_url(self):
        return reverse("catalogue:event-detail", args=[self.code])

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The event must end after it starts."})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.venue.timezone)


class Package(models.Model):
    code = models.CharField(max_length=32, validators=[CODE_VALIDATOR])
    name = models.CharField(max_length=200)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="packages")
    inventory_kind = models.CharField(max_length=8, choices=InventoryKind.choices)
    seats_per_unit = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Guests one unit holds: 10 for a table of ten."
    )
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))],
        help_text="Price of one unit, excluding tax.",
    )
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0.1000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="As a fraction: 0.1000 is 10% GST.",
    )
    ledger_account_code = models.CharField(max_length=20, default="200", help_text="Revenue account in the ledger.")
    ledger_tax_type = models.CharField(max_length=20, default="OUTPUT", help_text="Ledger tax code, e.g. Xero OUTPUT.")
    entitlements = models.JSONField(
        default=list, blank=True, help_text="What a guest gets, e.g. lounge access, parking, catering."
    )
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["event", "code"]
        constraints = [models.UniqueConstraint(fields=["event", "code"], name="package_code_per_event")]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def get_absolute_url(self):
        return reverse("catalogue:package-edit", args=[self.pk])
