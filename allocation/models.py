"""Lane 03 tables: venue layout, per-event stock, holds and rules, reservations' notes and manifests.

Layout (Area, Unit) belongs to a venue and is shared by its events. `EventUnit` is one unit's state
for one event; a `pass` unit is a quantity pool whose takers are `PoolShare` rows, so reserving N
passes is one conditional update of the pool's counter.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from buyers.models import Booking
from eventchain.models import Event, InventoryKind, Package, Venue


class Area(models.Model):
    """A part of a venue guests think of as one place: a suite level, the dining room, a car park."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="areas")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0, help_text="Order on the inventory map and in searches.")

    class Meta:
        ordering = ["venue", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["venue", "name"], name="area_name_per_venue")]

    def __str__(self):
        return self.name


class Unit(models.Model):
    """One sellable thing in a venue: a seat, table, suite, box or room, or a pool of passes.

    Seats may sit inside a table, suite or box (`parent`). Adjacency for keeping a party together is
    (area, row) then consecutive `number`.
    """

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="units")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="units")
    kind = models.CharField(max_length=8, choices=InventoryKind.choices)
    label = models.CharField(max_length=40)
    capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        help_text="Guests it holds (a table of 10 is 10); for a pass pool, how many passes it has.",
    )
    row = models.CharField(max_length=10, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    position = models.PositiveIntegerField(default=0, help_text="Order within the area (layout file order).")

    class Meta:
        ordering = ["area__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "label"], name="unit_label_per_venue"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="unit_capacity_positive"),
        ]
        indexes = [models.Index(fields=["area", "row", "number"])]

    def __str__(self):
        return self.label

    @property
    def is_pool(self) -> bool:
        return self.kind == InventoryKind.PASS


class StockState(models.TextChoices):
    AVAILABLE = "available", "Available"
    HELD = "held", "Held"
    RESERVED = "reserved", "Reserved"
    ALLOCATED = "allocated", "Allocated"
    COMP = "comp", "Comp"
    BLOCKED = "blocked", "Blocked"


# States in which a unit belongs to a booking.
BOOKED_STATES = (StockState.RESERVED, StockState.ALLOCATED, StockState.COMP)


class Hold(models.Model):
    """A named block of stock kept back (sponsor, house, media); released by staff or on expiry."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="stock_holds")
    name = models.CharField(max_length=100)
    owner = models.CharField(max_length=200, help_text="Who the stock is held for, e.g. 'Sponsor: Acme Mining'.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Released automatically after this time.")
    released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "released_at", "expires_at", "name"]
        indexes = [models.Index(fields=["released_at", "expires_at"])]

    def __str__(self):
        return f"{self.name} ({self.owner})"

    @property
    def active(self) -> bool:
        return self.released_at is None


class EventUnit(models.Model):
    """A unit's stock state for one event. A pool unit counts passes in `pool_size`/`pool_taken`."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="stock")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="event_stock")
    state = models.CharField(max_length=10, choices=StockState.choices, default=StockState.AVAILABLE)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="stock")
    package = models.ForeignKey(Package, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    hold = models.ForeignKey(Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="units")
    locked_at = models.DateTimeField(null=True, blank=True, help_text="Set when a confirmed manifest holds it.")
    note = models.CharField(max_length=200, blank=True, help_text="Why it is blocked, or a comp's reason.")
    pool_size = models.PositiveIntegerField(default=0)
    pool_taken = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "unit__area__position", "unit__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "unit"], name="one_stock_row_per_event_unit"),
            models.CheckConstraint(condition=Q(pool_taken__lte=models.F("pool_size")), name="pool_not_oversold"),
            models.CheckConstraint(
                condition=Q(state__in=BOOKED_STATES, booking__isnull=False, package__isnull=False)
                | (~Q(state__in=BOOKED_STATES) & Q(booking__isnull=True)),
                name="booked_state_has_booking",
            ),
            models.CheckConstraint(
                condition=Q(state=StockState.HELD, hold__isnull=False) | (~Q(state=StockState.HELD) & Q(hold__isnull=True)),
                name="held_state_has_hold",
            ),
        ]
        indexes = [models.Index(fields=["event", "state"])]

    def __str__(self):
        return f"{self.event_id}:{self.unit.label} {self.state}"

    @property
    def pool_free(self) -> int:
        return self.pool_size - self.pool_taken


class PoolShare(models.Model):
    """Passes taken from a pool by a booking (paid or comp) or by a hold."""

    pool = models.ForeignKey(EventUnit, on_delete=models.CASCADE, related_name="shares")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="pool_shares")
    hold = models.ForeignKey(Hold, null=True, blank=True, on_delete=models.CASCADE, related_name="pool_shares")
    package = models.ForeignKey(Package, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    comp = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pool", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="pool_share_quantity_positive"),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, hold__isnull=True, package__isnull=False)
                | Q(booking__isnull=True, hold__isnull=False),
                name="pool_share_booking_xor_hold",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.pool.unit.label}"


class CompRule(models.Model):
    """Per event: every `every` paid units of `package` earn `quantity` comps of `comp_package`."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="comp_rules")
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="comp_rules")
    every = models.PositiveIntegerField(validators=[MinValueValidator(1)], help_text="Paid units that earn comps.")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)], help_text="Comps earned.")
    comp_package = models.ForeignKey(
        Package, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="What the comp is; empty means more of the same package.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "package__code", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(every__gte=1) & Q(quantity__gte=1), name="comp_rule_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} {self.granted_package.code} comp per {self.every} paid {self.package.code}"

    @property
    def granted_package(self) -> Package:
        return self.comp_package or self.package


class OverflowRule(models.Model):
    """When `area` cannot seat a party, try `fallback` next; `position` orders an area's fallbacks."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="overflow_rules")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    fallback = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["event", "area__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "area", "fallback"], name="overflow_pair_once"),
            models.CheckConstraint(condition=~Q(area=models.F("fallback")), name="overflow_not_to_itself"),
        ]

    def __str__(self):
        return f"{self.area} → {self.fallback}"


class AllocationRequest(models.Model):
    """How a booking asked for stock (API, upload, form, map) and what the last attempt said."""

    class Outcome(models.TextChoices):
        WAITING = "waiting", "Awaiting stock"
        RESERVED = "reserved", "Reserved"
        SHORT = "short", "Stock short"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="allocation_request")
    preferred_area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_units = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=20, default="console")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.WAITING, db_index=True)
    message = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.booking.reference} {self.outcome}"


class AllocationNote(models.Model):
    """A human-readable record of a decision about a booking's stock (automatic or by staff)."""

    class Kind(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        TOGETHER = "together", "Party kept together"
        SPLIT = "split", "Party split"
        COMP = "comp", "Comp"
        HOLD = "hold", "Hold"
        OVERFLOW = "overflow", "Overflow"
        SHORTAGE = "shortage", "Shortage"
        MANIFEST = "manifest", "Manifest"
        RELEASED = "released", "Released"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="allocation_notes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.CharField(max_length=500)
    actor_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booking", "created_at", "id"]

    def __str__(self):
        return self.message


class CompGrant(models.Model):
    """Comps given to a booking: by a rule, or by a staff member with the reason they gave."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="comp_grants")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=300)
    rule = models.ForeignKey(
        CompRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants",
        help_text="The rule that earned it; empty when staff granted it by hand.",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True, help_text="Set when the allocation was cancelled.")

    class Meta:
        ordering = ["booking", "created_at"]

    def __str__(self):
        return f"{self.quantity} × {self.package.code} comp: {self.reason}"


class Manifest(models.Model):
    """An immutable, versioned record of the stock a booking holds, published to finance on confirm."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="manifests")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["booking", "-version"]
        constraints = [models.UniqueConstraint(fields=["booking", "version"], name="manifest_version_per_booking")]

    def __str__(self):
        return f"{self.booking.reference} manifest v{self.version}"

    def save(self, *args, **kwargs):
        # A published manifest is evidence finance invoices from; a change is a new version.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("A manifest cannot be changed once written; confirm a new version instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("allocation:manifest", args=[self.booking_id, self.version])


class ManifestLine(models.Model):
    """One unit (or a number of passes) in a manifest, with the labels it had when confirmed."""

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="lines")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=40)
    kind = models.CharField(max_length=8, choices=InventoryKind.choices)
    area = models.CharField(max_length=100)
    seats = models.PositiveIntegerField(help_text="Guests this line seats (passes for a pool line).")
    quantity = models.PositiveIntegerField(default=1, help_text="Units priced on this line (passes for a pool).")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Ex tax; 0.00 for a comp.")
    comp = models.BooleanField(default=False)

    class Meta:
        ordering = ["manifest", "comp", "id"]

    def __str__(self):
        return f"{self.label} × {self.quantity} @ {self.unit_price}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class AllocationUpload(models.Model):
    """A CSV/XLSX file of allocation requests, kept raw with each row's outcome."""

    file_name = models.CharField(max_length=200)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    results = models.JSONField(default=list, blank=True, help_text="[{row, booking, ok, message, units}]")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("allocation:upload-detail", args=[self.pk])

    @property
    def good_rows(self) -> int:
        return sum(1 for row in self.results if row.get("ok"))

    @property
    def bad_rows(self) -> int:
        return sum(1 for row in self.results if not row.get("ok"))
