"""Admin › Sign-in & security: SSO status, the local-password switch, two-factor per person, locked accounts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..errors import DomainError
from ..models import SignInPolicy
from ..pagination import page_of
from ..reauth import max_age_setting, recent_auth_required
from ..roles import ROLE_NAMES, capability_required
from . import lockout, policy, sso, two_factor


def _staff(search: str):
    users = get_user_model().objects.filter(Q(groups__name__in=ROLE_NAMES) | Q(is_superuser=True)).distinct()
    if search:
        users = users.filter(Q(email__icontains=search) | Q(first_name__icontains=search)
                             | Q(last_name__icontains=search))
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return users.annotate(has_two_factor=Exists(confirmed)).prefetch_related("groups").order_by("email")


@capability_required("manage_security")
def security(request):
    search = request.GET.get("q", "").strip()
    page, query = page_of(request, _staff(search))
    required = set(settings.EVENTCHAIN_2FA_REQUIRED_ROLES)
    rows = [{"user": user, "roles": sorted(g.name for g in user.groups.all() if g.name in ROLE_NAMES),
             "required": bool(required & {g.name for g in user.groups.all()}),
             "sso_only": not user.has_usable_password()} for user in page.object_list]
    context = {
        "section": "admin", "page": page, "query": query, "search": search, "rows": rows,
        "policy": SignInPolicy.current(), "sso_configured": sso.configured(), "sso_missing": sso.missing_settings(),
        "sso_issuer": settings.EVENTCHAIN_OIDC_ISSUER, "sso_client_id": settings.OIDC_RP_CLIENT_ID,
        "sso_label": settings.EVENTCHAIN_OIDC_LABEL,
        "group_roles": sorted((group, ", ".join(sorted(roles))) for group, roles in sso.group_role_map().items()),
        "callback_url": f"{settings.EVENTCHAIN_BASE_URL}/sso/callback/",
        "required_roles": ", ".join(settings.EVENTCHAIN_2FA_REQUIRED_ROLES) or "none",
        "locked": lockout.locked_rows()[:100], "reauth_minutes": max_age_setting() // 60,
        "idle_minutes": settings.EVENTCHAIN_SESSION_IDLE_TIMEOUT // 60,
        "lockout": lockout.limit_for("account"), "ip_lockout": lockout.limit_for("ip"),
    }
    return render(request, "eventchain/security.html", context)


def _run(request, action, success: str):
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("security")


@require_POST
@capability_required("manage_security")
@recent_auth_required
def set_local_passwords(request):
    enabled = request.POST.get("enabled") == "1"
    return _run(request, lambda: policy.set_local_passwords(actor=request.user, enabled=enabled),
                "Local passwords are on." if enabled else
                "Local passwords are off: staff sign in through single sign-on; superusers keep break-glass access.")


@require_POST
@capability_required("manage_security")
@recent_auth_required
def reset_two_factor(request, user_id: int):
    return _run(request, lambda: two_factor.reset(actor=request.user, user_id=user_id),
                "Two-factor sign-in was reset; the person sets it up again at their next sign-in.")


@require_POST
@capability_required("manage_security")
@recent_auth_required
def unlock(request, throttle_id: int):
    return _run(request, lambda: lockout.unlock(actor=request.user, throttle_id=throttle_id), "Unlocked.")
