"""Per-event retention: how long guests' contact details, gate scans and financial records are kept."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from eventchain.models import Event


def _default(name: str) -> int:
    return int(getattr(settings, name))


def default_guest_contact_days() -> int:
    return _default("EVENTCHAIN_RETENTION_GUEST_CONTACT_DAYS")


def default_scans_days() -> int:
    return _default("EVENTCHAIN_RETENTION_SCANS_DAYS")


def default_financial_years() -> int:
    return _default("EVENTCHAIN_RETENTION_FINANCIAL_YEARS")


class RetentionPolicy(models.Model):
    """One event's retention clocks, counted from the event's end. No row: the EVENTCHAIN_RETENTION_* defaults."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="retention_policy")
    guest_contact_days_after_event = models.PositiveIntegerField(
        default=default_guest_contact_days, validators=[MaxValueValidator(3650)],
        help_text="Guests' names, emails, phones and needs, address book entries, emails sent and portal "
                  "activity are erased this many days after the event ends.")
    scans_days_after_event = models.PositiveIntegerField(
        default=default_scans_days, validators=[MaxValueValidator(3650)],
        help_text="Gate scans lose their codes and device ids this many days after the event ends.")
    financial_years = models.PositiveIntegerField(
        default=default_financial_years, validators=[MinValueValidator(5), MaxValueValidator(20)],
        help_text="Invoices and billing details are kept this many years (at least the 5-year tax period).")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_counts = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self):
        return f"{self.event_id} retention"
