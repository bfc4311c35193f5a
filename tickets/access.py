"""Who may download a booking's ticket files (PDF, .pkpass).

Staff: a bearer token or a signed-in session whose role can issue or reissue tickets. The buyer
portal (lane 06) adds its own rule with `allow(check)`: a check gets (request, booking) and says
yes for a buyer signed in to their own booking. Everyone else gets 404, not 403: a download URL
must not confirm that a ticket exists.
"""

from collections.abc import Callable

from django.http import HttpRequest

from eventchain import tokens
from eventchain.roles import has_capability

DOWNLOAD_CAPABILITIES = ("issue_tickets", "reissue_tickets")
_checks: list[Callable[[HttpRequest, object], bool]] = []


def allow(check: Callable[[HttpRequest, object], bool]) -> Callable[[HttpRequest, object], bool]:
    """Register another way to be allowed (usable as a decorator)."""
    if check not in _checks:
        _checks.append(check)
    return check


def staff_user(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return tokens.authenticate_token(raw.strip())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def can_download(request: HttpRequest, booking) -> bool:
    user = staff_user(request)
    if user is not None and any(has_capability(user, capability) for capability in DOWNLOAD_CAPABILITIES):
        return True
    return any(check(request, booking) for check in _checks)
