from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from .. import ratelimit, tokens
from ..errors import PermissionRefused
from ..roles import CAPABILITIES, has_capability, refusal_message


class StaffToken(HttpBearer):
    """`Authorization: Bearer <token>`; the request then acts as the token's staff user."""

    openapi_description = "A staff API token from `manage.py create_api_token` or the console."

    def authenticate(self, request: HttpRequest, token: str):
        user = tokens.authenticate_token(token)
        if user is not None:
            limit_token(token)
            request.user = user
        return user


def limit_token(raw: str) -> None:
    """A per-token budget of requests per minute; RateLimited (429 with Retry-After) once it is spent.

    Gate scanner tokens never come here: they must sustain hundreds of scans a second, and the
    failed-scan velocity rule watches them instead.
    """
    limit = getattr(settings, "EVENTCHAIN_API_TOKEN_RATE_LIMIT", 1200)
    if limit > 0:
        ratelimit.hit("api-token", raw, limit=limit, window=60,
                      message=f"This API token made more than {limit} requests in a minute; slow down.")


staff_token = StaffToken()


def require(request: HttpRequest, capability: str):
    """The calling staff user, or PermissionRefused (403) when their role lacks `capability`."""
    user = request.auth
    if not has_capability(user, capability):
        raise PermissionRefused(refusal_message(capability))
    return user


def needs_capability(*capabilities: str) -> dict:
    """`openapi_extra` of a staff endpoint: the capability its `require` asks for (any one, when several).

    It shows in the OpenAPI document as `x-capabilities`; the permission-matrix test walks every staff
    endpoint, fails one that declares nothing, and checks each role gets 403 exactly when it lacks them.
    """
    unknown = [c for c in capabilities if c not in CAPABILITIES]
    if not capabilities or unknown:
        raise ValueError(f"Declare known capabilities, not {unknown or 'none'}")
    return {"x-capabilities": list(capabilities)}


# Gate scanners authenticate with device tokens that lane 07 issues. Earlier lanes (tickets' gate
# bundle) accept them too, so the kernel holds the hook and reporting registers the lookup.
_scanner_authenticators: list = []


def register_scanner_authenticator(authenticate) -> None:
    """`authenticate(raw_token)` returns a scanner (with `.event.id`) or None."""
    if authenticate not in _scanner_authenticators:
        _scanner_authenticators.append(authenticate)


class ScannerToken(HttpBearer):
    """`Authorization: Bearer <gate token>` for endpoints a scanner device may call."""

    openapi_description = "A scanner device token from `manage.py create_gate_token`."

    def authenticate(self, request: HttpRequest, token: str):
        for authenticate in _scanner_authenticators:
            scanner = authenticate(token)
            if scanner is not None:
                return scanner
        return None


scanner_token = ScannerToken()


def scanner_event_id(request: HttpRequest) -> int | None:
    """The event a scanner-authenticated request belongs to, or None for a staff request."""
    event = getattr(request.auth, "event", None)
    return getattr(event, "id", None)
