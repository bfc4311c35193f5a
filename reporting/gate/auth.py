"""Bearer auth for scanner devices. A separate class from the staff token: neither opens the other's API."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from . import devices


class GateToken(HttpBearer):
    """`Authorization: Bearer <gate token>`; the request then acts as that scanner (`request.auth`)."""

    openapi_description = "A scanner device token from `manage.py create_gate_token` or the console gate page."

    def authenticate(self, request: HttpRequest, token: str):
        return devices.authenticate(token)


gate_token = GateToken()
