"""Content-Security-Policy and Permissions-Policy on every page (Django 5.2 has no CSP of its own).

Scripts run only from our own origin or with the per-request nonce (`request.csp_nonce`, in templates
`{{ csp_nonce }}`); inline handlers, `javascript:` URLs and eval are refused. Inline styles stay allowed:
templates use `style=""` for small layout touches and htmx injects its indicator style.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.functional import SimpleLazyObject

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
# Uploaded or generated SVG opened on its own must not run script or load anything.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def form_action_sources() -> list[str]:
    """'self' plus identity providers a form POST may be redirected to (single sign-on logout)."""
    names = getattr(settings, "EVENTCHAIN_CSP_FORM_ACTION_SETTINGS", ("OIDC_OP_AUTHORIZATION_ENDPOINT",
                                                                     "OIDC_OP_LOGOUT_ENDPOINT"))
    origins = {_origin(str(getattr(settings, name, "") or "")) for name in names}
    return ["'self'", *sorted(origin for origin in origins if origin)]


def page_policy(nonce: str) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": form_action_sources(),
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = SimpleLazyObject(lambda: secrets.token_urlsafe(18))
        response = self.get_response(request)
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "text/html":
            response.setdefault("Content-Security-Policy", page_policy(str(request.csp_nonce)))
        elif content_type == "image/svg+xml":
            response.setdefault("Content-Security-Policy", SVG_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def csp_nonce(request) -> dict:
    """Template context: `<script nonce="{{ csp_nonce }}">` where an inline script cannot be avoided."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
