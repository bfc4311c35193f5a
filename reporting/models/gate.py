"""Gate tables: scanner devices (token per event and gate), the event's gate rules, every scan."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from buyers.models import Booking
from eventchain.models import Event
from tickets.models import Ticket


class GateSettings(models.Model):
    """How an event's gates decide beyond the code itself. Entry window: the ticket design's (tickets lane)."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="gate_settings")
    allow_reentry = models.BooleanField(
        default=False, help_text="Admit a ticket again after its first entry (guests may leave and come back)."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name_plural = "gate settings"

    def __str__(self):
        return f"{self.event_id} gate settings"


class GateDevice(models.Model):
    """A scanner's bearer token for one event and gate. Only its SHA-256 is stored; revocable."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="gate_devices")
    gate = models.CharField(max_length=100, help_text="Where it scans, e.g. 'Gate A' or 'Members entrance'.")
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event", "gate", "-created_at"]

    def __str__(self):
        return f"{self.gate} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ScanResult(models.TextChoices):
    ADMITTED = "admitted", "Admitted"
    DUPLICATE = "duplicate", "Already admitted"
    REVOKED = "revoked", "Revoked"
    INVALID = "invalid", "Invalid code"
    WRONG_EVENT = "wrong_event", "Another event"
    NOT_YET_VALID = "not_yet_valid", "Not yet valid"
    EXPIRED = "expired", "Expired"


class ScanSource(models.TextChoices):
    DEVICE = "device", "Scanner"
    IMPORT = "import", "Gate manager import"
    DESK = "desk", "Exception desk"


class ScanImport(models.Model):
    """A third-party gate manager's scan export (CSV: code, time, gate), kept raw with each row's result."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="scan_imports")
    file_name = models.CharField(max_length=200)
    content = models.BinaryField()
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file: the same export is imported once.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    results = models.JSONField(default=list, blank=True, help_text="[{row, code, result, message}]")
    counts = models.JSONField(default=dict, blank=True, help_text="{result: rows}")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "content_hash"], name="scan_import_once_per_event")]

    def __str__(self):
        return self.file_name


class Scan(models.Model):
    """One code presented at a gate, with the answer given. Failed scans are kept too."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="gate_scans")
    source = models.CharField(max_length=8, choices=ScanSource.choices, default=ScanSource.DEVICE)
    scanner = models.ForeignKey(GateDevice, null=True, blank=True, on_delete=models.PROTECT, related_name="scans",
                                help_text="The scanner token it came through; empty for imports and the desk.")
    device_id = models.CharField(max_length=100, blank=True, help_text="The handset's own id, as it sent it.")
    nonce = models.CharField(max_length=100, blank=True)
    gate = models.CharField(max_length=100, blank=True)
    code = models.TextField(help_text="The string scanned, as received (cut at 1,000 characters).")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    generation = models.PositiveIntegerField(null=True, blank=True)
    scanned_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=14, choices=ScanResult.choices)
    reentry = models.BooleanField(default=False)
    message = models.CharField(max_length=300)
    response = models.JSONField(default=dict, help_text="The answer sent back; a repeated nonce gets it again.")
    scan_import = models.ForeignKey(ScanImport, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="scans")
    row_number = models.PositiveIntegerField(null=True, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    class Meta:
        ordering = ["-scanned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scanner", "device_id", "nonce"], condition=Q(scanner__isnull=False) & ~Q(nonce=""),
                name="scan_nonce_once_per_device",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "result"]),
            models.Index(fields=["event", "scanned_at"]),
            models.Index(fields=["ticket", "result"]),
            models.Index(fields=["booking", "result"]),
        ]

    def __str__(self):
        return f"{self.result} at {self.gate} {self.scanned_at:%Y-%m-%d %H:%M}"
