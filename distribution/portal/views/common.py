"""Helpers every portal view uses."""

from django.http import HttpResponse
from django.shortcuts import redirect

from eventchain.errors import RateLimited


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
