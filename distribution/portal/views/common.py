"""Helpers every portal view uses."""

from functools import wraps

from django.http import HttpResponse
from django.shortcuts import redirect, render

from eventchain.errors import RateLimited

from ...services import holds
from ..session import signed_in_contact


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def go(request, url: str) -> HttpResponse:
    """Redirect, or tell htmx to navigate (a 3xx would be followed inside the swap)."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def rate_limited(response: HttpResponse, exc: RateLimited) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(exc.retry_after)
    return response


def session_key(request) -> str:
    """What the portal's per-session limits and download rule count against."""
    if request.session.session_key is None:
        request.session.save()
    return request.session.session_key


def action_budget(view):
    """A portal write (POST) spends one of the session's per-minute actions; past the budget, 429.

    Goes under `portal_login_required`, so only signed-in sessions count.
    """
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            try:
                holds.spend_action_budget(session_key=session_key(request))
            except RateLimited as exc:
                response = render(request, "portal/rate_limited.html",
                                  {"contact": signed_in_contact(request), "message": exc.message})
                return rate_limited(response, exc)
        return view(request, *args, **kwargs)

    return wrapped
