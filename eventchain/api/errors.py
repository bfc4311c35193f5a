"""Every API error has one shape: {"errors": [{"field": ..., "message": ...}]}."""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ..errors import DomainError, RateLimited

log = logging.getLogger(__name__)

# Where a request part's name sits in pydantic's error location, which the client never sees.
_REQUEST_PARTS = {"body", "query", "path", "header", "cookie", "form", "file"}


def error_body(errors: list[dict]) -> dict:
    return {"errors": [{"field": e.get("field"), "message": e["message"]} for e in errors]}


def field_path(loc: tuple | list, body_param: str | None = None) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _REQUEST_PARTS:
        parts = parts[1:]
        # Ninja nests the body under the view's parameter name; clients never sent that level.
        if parts and body_param is not None and parts[0] == body_param:
            parts = parts[1:]
    return ".".join(parts) or None


def _pydantic_message(error: dict) -> str:
    message = error.get("msg", "is invalid")
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return message[0].lower() + message[1:] if message else "is invalid"


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, errors: list[dict], headers: dict | None = None) -> HttpResponse:
        response = api.create_response(request, error_body(errors), status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        body_param = getattr(request, "ninja_body_param", "payload")
        errors = [
            {"field": field_path(e.get("loc", ()), body_param), "message": _pydantic_message(e)} for e in exc.errors
        ]
        return respond(request, 422, errors)

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return respond(request, exc.http_status, exc.errors, headers)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(
            request, 401,
            [{"field": None, "message": "Missing or invalid credentials: send 'Authorization: Bearer <token>'."}],
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        status = exc.status_code
        message = str(exc)
        if status == 400:
            # Ninja answers 400 for a body it cannot parse; the contract calls that a validation error.
            status, message = 422, "The request body is not valid JSON."
        return respond(request, status, [{"field": None, "message": message}])

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, [{"field": None, "message": "Not found."}])

    @api.exception_handler(ObjectDoesNotExist)
    def object_not_found(request, exc):
        return respond(request, 404, [{"field": None, "message": "Not found."}])

    @api.exception_handler(DjangoValidationError)
    def model_validation(request, exc: DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = [{"field": f, "message": m} for f, ms in exc.message_dict.items() for m in ms]
        else:
            errors = [{"field": None, "message": m} for m in exc.messages]
        return respond(request, 422, errors)

    @api.exception_handler(SuspiciousOperation)
    def refused_request(request, exc: SuspiciousOperation):
        # Django's own refusals (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields): the caller's to fix.
        if isinstance(exc, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return respond(request, 413, [{"field": None, "message": f"The request body is over {limit} bytes; "
                                                                      "send less at a time."}])
        return respond(request, 400, [{"field": None, "message": "The request was refused as malformed."}])

    @api.exception_handler(Exception)
    def server_error(request, exc: Exception):
        log.exception("API error on %s %s", request.method, request.path)
        return respond(
            request, 500, [{"field": None, "message": "Something went wrong on our side; it has been logged."}]
        )
