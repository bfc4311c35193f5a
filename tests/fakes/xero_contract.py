"""Xero's published OpenAPI contracts, loaded once per test session, and the checks the fake runs.

xero_accounting.yaml fails strict spec validation (string defaults such as `default: 'false'`), so
it is loaded with spec validation off. xero-python sends the read-only `HasAttachments: false` on
every model; Xero ignores it, so the fake strips it before validating the request.
"""

import functools
import json
from datetime import UTC, date, datetime

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from . import SPECS_DIR
from .loopback import Request, Response

# Where the spec says the APIs live; the fake validates paths as if it were there.
XERO_HOST = "https://api.xero.com"
SDK_READ_ONLY_NOISE = ("HasAttachments",)



class _BearerProvider(BaseProvider):
    """openapi-core has no OAuth2 provider; Xero's OAuth2 scheme means a bearer access token in the header."""

    def __call__(self, parameters):
        header = parameters.header.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            raise SecurityProviderError("Missing bearer access token.")
        return header[7:]


class _Providers(SecurityProviderFactory):
    PROVIDERS = {**SecurityProviderFactory.PROVIDERS, "oauth2": _BearerProvider}


CONFIG = Config(spec_validator_cls=None, security_provider_factory=_Providers())


def _load(name: str) -> dict:
    with open(SPECS_DIR / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 — safe loaders only


@functools.cache
def accounting_spec() -> OpenAPI:
    return OpenAPI.from_dict(_load("xero_accounting.yaml"), config=CONFIG)


@functools.cache
def identity_spec_dict() -> dict:
    return _load("xero-identity.yaml")


@functools.cache
def identity_spec() -> OpenAPI:
    return OpenAPI.from_dict(identity_spec_dict(), config=CONFIG)


def strip_sdk_noise(value):
    if isinstance(value, dict):
        return {k: strip_sdk_noise(v) for k, v in value.items() if k not in SDK_READ_ONLY_NOISE}
    if isinstance(value, list):
        return [strip_sdk_noise(v) for v in value]
    return value


def _messages(exc: Exception) -> list[str]:
    found = []
    seen = exc
    while seen is not None:
        for error in getattr(seen, "schema_errors", ()) or ():
            location = "/".join(str(p) for p in error.absolute_path)
            found.append(f"{location}: {error.message}" if location else error.message)
        seen = seen.__cause__
    return found or [str(exc)]


def _mock_request(request: Request, path: str, body: bytes) -> MockRequest:
    return MockRequest(
        XERO_HOST, request.method, path, args=request.query, headers=request.headers, data=body,
        content_type=request.header("content-type", "application/json").split(";")[0] or "application/json",
    )


def request_problems(api: OpenAPI, request: Request, path: str, body: bytes) -> list[str]:
    try:
        api.validate_request(_mock_request(request, path, body))
    except Exception as exc:  # noqa: BLE001 — every openapi-core failure is a contract problem to report
        return _messages(exc)
    return []


def response_problems(api: OpenAPI, request: Request, path: str, body: bytes, response: Response) -> list[str]:
    mock = MockResponse(response.body, response.status, headers=response.headers,
                        content_type=response.headers.get("Content-Type", "application/json").split(";")[0])
    try:
        api.validate_response(_mock_request(request, path, body), mock)
    except ResponseNotFound:
        return []  # a status the contract does not describe (401, 429, 5xx): nothing to check
    except Exception as exc:  # noqa: BLE001
        return _messages(exc)
    return []


def identity_schema_problems(component: str, data) -> list[str]:
    schema = dict(identity_spec_dict()["components"]["schemas"][component])
    return [error.message for error in OAS30Validator(schema).iter_errors(data)]


def to_msdate(value: date | datetime) -> str:
    """Xero's JSON date form: /Date(milliseconds+0000)/."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return f"/Date({int(value.timestamp() * 1000)}+0000)/"


def parse_xero_date(value: str | None) -> date | None:
    if not value:
        return None
    if value.startswith("/Date("):
        millis = int(value[6:].split(")")[0].split("+")[0].split("-")[0])
        return datetime.fromtimestamp(millis / 1000, tz=UTC).date()
    return date.fromisoformat(value[:10])


def xero_error(status: int, error_type: str, message: str, elements: list | None = None, number: int = 10) -> Response:
    body = {"ErrorNumber": number, "Type": error_type, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return Response(status, json.dumps(body).encode(), {"Content-Type": "application/json; charset=utf-8"})
