from django.conf import settings
from django.db import models
from django.db.models import Q


class VelocityEvent(models.Model):
    """One observed action a velocity rule counts (a reissue, a transfer, a download, a failed scan).

    Rows are the evidence a reviewer sees, so they are kept, not just counted in a cache.
    """

    rule = models.CharField(max_length=40)
    subject_type = models.CharField(max_length=40)
    subject_id = models.CharField(max_length=64)
    actor_label = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rule", "subject_type", "subject_id", "at"], name="velocity_event_window")]

    def __str__(self):
        return f"{self.rule} {self.subject_type}:{self.subject_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class Flag(models.Model):
    """A tripped velocity rule: the subject is held until staff release the flag.

    Open and confirmed flags hold their subject; a released flag does not.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open, held"
        CONFIRMED = "confirmed", "Confirmed, still held"
        RELEASED = "released", "Released"

    HOLDING = (Status.OPEN, Status.CONFIRMED)

    rule = models.CharField(max_length=40, db_index=True)
    subject_type = models.CharField(max_length=40)
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=200)
    subject_url = models.CharField(max_length=300, blank=True)
    count = models.PositiveIntegerField(help_text="Actions counted in the window when the rule tripped.")
    threshold = models.PositiveIntegerField()
    window_seconds = models.PositiveIntegerField()
    first_at = models.DateTimeField(help_text="The earliest counted action.")
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two observations racing past the threshold still make one open flag.
            models.UniqueConstraint(fields=["rule", "subject_type", "subject_id"], condition=Q(status="open"),
                                    name="one_open_flag_per_rule_and_subject"),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id", "status"], name="velocity_flag_subject")]

    def __str__(self):
        return f"{self.rule}: {self.subject_label} ({self.status})"

    @property
    def holding(self) -> bool:
        return self.status in self.HOLDING
