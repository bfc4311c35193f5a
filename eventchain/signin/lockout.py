"""Failed sign-in counting: an email address locks after repeated failures, an IP address is throttled.

Counters are keyed by the email address typed, whether or not an account has it, so a locked answer
says nothing about which addresses exist. Password and two-factor code failures both count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import audit
from ..errors import NotFound, RateLimited
from ..models import SignInThrottle, ThrottleScope


@dataclass(frozen=True)
class Limit:
    failures: int
    window: timedelta
    duration: timedelta


def limit_for(scope: str) -> Limit:
    failures = settings.EVENTCHAIN_LOCKOUT_FAILURES if scope == ThrottleScope.ACCOUNT else (
        settings.EVENTCHAIN_LOCKOUT_IP_FAILURES)
    return Limit(failures, timedelta(seconds=settings.EVENTCHAIN_LOCKOUT_WINDOW),
                 timedelta(seconds=settings.EVENTCHAIN_LOCKOUT_DURATION))


def normalise(email: str) -> str:
    return (email or "").strip().lower()[:254]


def client_ip(request) -> str:
    # REMOTE_ADDR only: a forwarded header is whatever the client says unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _locked_until(scope: str, key: str) -> datetime | None:
    row = SignInThrottle.objects.filter(scope=scope, key=key, locked_until__gt=timezone.now()).first()
    return row.locked_until if row else None


def locked_message(until: datetime) -> str:
    local = timezone.localtime(until)
    return (f"Too many failed sign-in attempts. Try again after {local:%H:%M} ({local:%Z}), "
            "or ask an administrator to unlock the account.")


def check(*, email: str, ip: str) -> None:
    """Raise RateLimited while the address or the IP is locked."""
    untils = [until for until in (_locked_until(ThrottleScope.ACCOUNT, normalise(email)),
                                  _locked_until(ThrottleScope.IP, ip)) if until]
    if untils:
        until = max(untils)
        retry_after = max(1, int((until - timezone.now()).total_seconds()))
        raise RateLimited(locked_message(until), retry_after=retry_after)


def _count(scope: str, key: str, now: datetime) -> SignInThrottle:
    limit = limit_for(scope)
    row, _ = SignInThrottle.objects.select_for_update().get_or_create(
        scope=scope, key=key, defaults={"window_started_at": now, "last_failure_at": now})
    if now - row.window_started_at > limit.window or (row.locked_until and row.locked_until <= now):
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    row.last_failure_at = now
    newly_locked = row.failures >= limit.failures and row.locked_until is None
    if newly_locked:
        row.locked_until = now + limit.duration
    row.save()
    if newly_locked:
        audit.record("sign-in", "eventchain.signin_locked", f"Sign-in locked for {scope} {key} after "
                     f"{row.failures} failures until {timezone.localtime(row.locked_until):%H:%M}",
                     target=row, data={"scope": scope, "key": key, "failures": row.failures})
    return row


def record_failure(*, email: str, ip: str, stage: str) -> None:
    """Count one failed password or code for the address and the IP; lock either at its limit."""
    now = timezone.now()
    with transaction.atomic():
        if normalise(email):
            _count(ThrottleScope.ACCOUNT, normalise(email), now)
        _count(ThrottleScope.IP, ip, now)
        audit.record("sign-in", "eventchain.signin_failed", f"Failed sign-in ({stage}) for {normalise(email)}",
                     object_type="email", object_id=normalise(email), data={"ip": ip, "stage": stage})


def record_success(*, email: str) -> None:
    """A full sign-in clears the address's count (the IP's stays: it may be guessing other addresses)."""
    SignInThrottle.objects.filter(scope=ThrottleScope.ACCOUNT, key=normalise(email), locked_until__isnull=True
                                  ).delete()


def locked_rows():
    return SignInThrottle.objects.filter(locked_until__gt=timezone.now()).order_by("-locked_until")


def unlock(*, actor, throttle_id: int) -> SignInThrottle:
    with transaction.atomic():
        row = SignInThrottle.objects.select_for_update().filter(pk=throttle_id).first()
        if row is None:
            raise NotFound("That lock no longer exists.")
        was_until = row.locked_until
        row.failures, row.locked_until, row.window_started_at = 0, None, timezone.now()
        row.save()
        audit.record(actor, "eventchain.signin_unlocked", f"Unlocked sign-in for {row.get_scope_display().lower()} "
                     f"{row.key}", target=row, data={"scope": row.scope, "key": row.key,
                                                     "was_locked_until": was_until.isoformat() if was_until else None})
    return row
