from django.http import HttpRequest
from ninja.security import HttpBearer

from .. import tokens
from ..errors import PermissionRefused
from ..roles import has_capability, refusal_message


class StaffToken(HttpBearer):
    """`Authorization: Bearer <token>`; the request then acts as the token's staff user."""

    openapi_description = "A staff API token from `manage.py create_api_token` or the console."

    def authenticate(self, request: HttpRequest, token: str):
        user = tokens.authenticate_token(token)
        if user is not None:
            request.user = user
        return user


staff_token = StaffToken()


def require(request: HttpRequest, capability: str):
    """The calling staff user, or PermissionRefused (403) when their role lacks `capability`."""
    user = request.auth
    if not has_capability(user, capability):
        raise PermissionRefused(refusal_message(capability))
    return user
