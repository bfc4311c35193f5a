"""Staff sign-in state: the local-password switch and failed-attempt counters that lock accounts."""

from django.conf import settings
from django.db import models


class SignInPolicy(models.Model):
    """One row (pk 1): whether staff may sign in with a local password. Superusers always may (break-glass)."""

    local_passwords_enabled = models.BooleanField(
        default=True, help_text="Off: staff sign in through single sign-on only; Django superusers keep a password."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "sign-in policy"

    def __str__(self):
        return "local passwords on" if self.local_passwords_enabled else "local passwords off"

    @classmethod
    def current(cls) -> "SignInPolicy":
        return cls.objects.get_or_create(pk=1)[0]


class ThrottleScope(models.TextChoices):
    ACCOUNT = "account", "Account"
    IP = "ip", "IP address"


class SignInThrottle(models.Model):
    """Failed sign-in attempts for one email address (whether or not it exists) or one client IP."""

    scope = models.CharField(max_length=10, choices=ThrottleScope.choices)
    key = models.CharField(max_length=254, help_text="Lower-cased email address, or IP address.")
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="signin_throttle_scope_key")]
        indexes = [models.Index(fields=["locked_until"])]
        ordering = ["-last_failure_at"]

    def __str__(self):
        return f"{self.scope} {self.key}: {self.failures} failures"
