"""The local-password switch. Off: staff use single sign-on; Django superusers keep a password (break-glass)."""

from django.db import transaction

from .. import audit
from ..errors import StateConflict
from ..models import SignInPolicy
from . import sso


def local_passwords_enabled() -> bool:
    return SignInPolicy.current().local_passwords_enabled


def local_password_allowed(user) -> bool:
    return user.is_superuser or local_passwords_enabled()


def set_local_passwords(*, actor, enabled: bool) -> SignInPolicy:
    if not enabled and not sso.configured():
        raise StateConflict("Set up single sign-on before switching local passwords off; otherwise only "
                            "superusers could sign in. Missing: " + ", ".join(sso.missing_settings()) + ".")
    with transaction.atomic():
        policy = SignInPolicy.objects.select_for_update().get_or_create(pk=1)[0]
        if policy.local_passwords_enabled == enabled:
            return policy
        policy.local_passwords_enabled = enabled
        policy.updated_by = actor
        policy.save()
        audit.record(actor, "eventchain.local_passwords_" + ("enabled" if enabled else "disabled"),
                     "Local passwords switched " + ("on" if enabled else "off (superusers keep break-glass access)"),
                     target=policy, data={"enabled": enabled})
    return policy
