from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One business action: who did what to which object, and the data that explains it."""

    when = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when it was not a staff user: "system", "crm-webhook", "contact:pat@acme.example".
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-when", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-when"])]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.when:%Y-%m-%d %H:%M} {self.action} {self.summary}"

    @property
    def actor_display(self) -> str:
        if self.actor_id:
            return self.actor.email or self.actor.get_username()
        return self.actor_label or "system"
