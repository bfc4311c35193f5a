"""Idle expiry for staff sessions: signed out after EVENTCHAIN_SESSION_IDLE_TIMEOUT seconds without a request.

The buyer portal keeps its own session key and never logs a Django user in, so it is left alone; the
absolute lifetime is SESSION_COOKIE_AGE.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url

LAST_SEEN = "eventchain_last_seen"
# Writing the session on every request costs a query; a minute's precision is plenty for a 30-minute limit.
TOUCH_EVERY = 60
EXEMPT_PREFIXES = ("/portal/", "/api/", "/static/")


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN)
            timeout = settings.EVENTCHAIN_SESSION_IDLE_TIMEOUT
            if timeout and last_seen is not None and now - float(last_seen) > timeout:
                logout(request)
                messages.info(request, f"You were signed out after {timeout // 60} minutes without activity.")
                if request.headers.get("HX-Request") == "true":
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                    return response
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - float(last_seen) > TOUCH_EVERY:
                request.session[LAST_SEEN] = int(now)
        return self.get_response(request)
