"""Recent authentication: sensitive actions ask staff to prove who they are again.

Every login (password, two-factor, SSO, and the test client's force_login) stamps the session with the time
through the `user_logged_in` signal; the re-authentication page stamps it again. Views wrapped in
`recent_auth_required` send a person whose stamp is older than `EVENTCHAIN_REAUTH_MAX_AGE` seconds to
`/reauth/?next=<path>` first.
"""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .signin.idle import LAST_SEEN

AUTHENTICATED_AT = "eventchain_authenticated_at"
AUTH_METHOD = "eventchain_auth_method"
DEFAULT_MAX_AGE = 600


def mark_authenticated(request, method: str | None = None) -> None:
    """Record that the person just proved who they are (password, code or identity provider)."""
    request.session[AUTHENTICATED_AT] = int(time.time())
    if method:
        request.session[AUTH_METHOD] = method


@receiver(user_logged_in, dispatch_uid="eventchain-reauth-stamp")
def _stamp_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        backend = getattr(user, "backend", "") or ""
        mark_authenticated(request, "sso" if backend.endswith("EventChainOIDCBackend") else "password")
        # Start the idle clock now, so the first page after sign-in need not write the session.
        request.session[LAST_SEEN] = int(time.time())


def max_age_setting() -> int:
    return int(getattr(settings, "EVENTCHAIN_REAUTH_MAX_AGE", DEFAULT_MAX_AGE))


def seconds_since_authentication(request) -> float | None:
    stamp = request.session.get(AUTHENTICATED_AT) if hasattr(request, "session") else None
    return None if stamp is None else time.time() - float(stamp)


def is_recently_authenticated(request, max_age: int | None = None) -> bool:
    if not request.user.is_authenticated:
        return False
    elapsed = seconds_since_authentication(request)
    limit = max_age_setting() if max_age is None else max_age
    return elapsed is not None and elapsed <= limit


def return_path(request) -> str:
    """Where to go after re-authenticating: this page for a GET, else the page the form was on.

    A POST cannot be replayed through a redirect, so the person lands back on the form and submits again.
    """
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    for candidate in (request.headers.get("HX-Current-URL", ""), request.headers.get("Referer", "")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return reverse("dashboard")


def reauth_url(next_path: str) -> str:
    return f"{reverse('reauth')}?{urlencode({'next': next_path})}"


def recent_auth_required(view=None, *, max_age: int | None = None):
    """View decorator; use as `@recent_auth_required` or `@recent_auth_required(max_age=300)`.

    Put it below `capability_required` so anonymous users still go to the login page first.
    """

    def decorator(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            if request.user.is_authenticated and not is_recently_authenticated(request, max_age):
                target = reauth_url(return_path(request))
                if request.headers.get("HX-Request") == "true":
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
            return func(request, *args, **kwargs)

        wrapped.recent_auth_required = True
        return wrapped

    if view is not None and callable(view):
        return decorator(view)
    return decorator
