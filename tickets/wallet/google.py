"""Google Wallet event tickets: a class per event, an object per ticket, and the "Save" link.

Payloads follow the Google Wallet REST API (walletobjects v1: eventTicketClass, eventTicketObject).
Calls go through `WalletClient`, an `AuthorizedSession` with the issuer's service account; the base
URL is a setting so tests point it at a local fake. The Save link is an RS256 JWT signed with the
service account key by google-auth (`crypt.RSASigner` + `jwt.encode`).

Pure apart from `WalletConfig.from_settings()`.
"""

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from google.auth import crypt, jwt

SCOPES = ["https://www.googleapis.com/auth/wallet_object.issuer"]
SAVE_URL = "https://pay.google.com/gp/v/save/"
ACTIVE, EXPIRED, INACTIVE = "ACTIVE", "EXPIRED", "INACTIVE"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class WalletNotConfigured(Exception):
    """GOOGLE_WALLET_ISSUER_ID or GOOGLE_WALLET_SERVICE_ACCOUNT_FILE is not set."""


class WalletError(Exception):
    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


@dataclass(frozen=True)
class WalletConfig:
    issuer_id: str
    service_account: dict
    api_base: str

    @property
    def email(self) -> str:
        return self.service_account["client_email"]

    @classmethod
    def from_settings(cls) -> "WalletConfig":
        from django.conf import settings

        if not settings.GOOGLE_WALLET_ISSUER_ID or not settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE:
            raise WalletNotConfigured(
                "Google Wallet is not configured: set GOOGLE_WALLET_ISSUER_ID and GOOGLE_WALLET_SERVICE_ACCOUNT_FILE."
            )
        info = json.loads(Path(settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE).read_text())
        return cls(settings.GOOGLE_WALLET_ISSUER_ID, info, settings.GOOGLE_WALLET_API_BASE)

    def signer(self) -> crypt.RSASigner:
        return crypt.RSASigner.from_service_account_info(self.service_account)


def _identifier(value: str) -> str:
    return _ID_UNSAFE.sub("_", value)


def class_id(issuer_id: str, event_code: str) -> str:
    return f"{issuer_id}.{_identifier('event-' + event_code.lower())}"


def object_id(issuer_id: str, ticket_number: str) -> str:
    return f"{issuer_id}.{_identifier('ticket-' + ticket_number.lower())}"


def _text(value: str, language: str = "en-AU") -> dict:
    return {"defaultValue": {"language": language, "value": value}}


@dataclass(frozen=True)
class EventClassContent:
    event_code: str
    event_name: str
    issuer_name: str
    venue_name: str
    venue_address: str
    starts_at: datetime
    ends_at: datetime
    background: str
    logo_url: str = ""
    callback_url: str = ""


def event_class(issuer_id: str, content: EventClassContent) -> dict:
    data = {
        "id": class_id(issuer_id, content.event_code),
        "issuerName": content.issuer_name,
        "eventName": _text(content.event_name),
        "eventId": content.event_code,
        "reviewStatus": "UNDER_REVIEW",
        "venue": {"name": _text(content.venue_name), "address": _text(content.venue_address or content.venue_name)},
        "dateTime": {"start": content.starts_at.isoformat(), "end": content.ends_at.isoformat()},
        "hexBackgroundColor": content.background,
        "multipleDevicesAndHoldersAllowedStatus": "ONE_USER_ALL_DEVICES",
    }
    if content.callback_url.startswith("https://"):
        data["callbackOptions"] = {"url": content.callback_url}
    if content.logo_url.startswith("https://"):
        data["logo"] = {"sourceUri": {"uri": content.logo_url}, "contentDescription": _text(content.event_name)}
    return data


@dataclass(frozen=True)
class TicketObjectContent:
    event_code: str
    ticket_number: str
    code: str
    guest_name: str
    area: str
    unit: str
    seat: str
    package_name: str
    valid_from: datetime
    valid_until: datetime
    state: str = ACTIVE


def ticket_object(issuer_id: str, content: TicketObjectContent) -> dict:
    data = {
        "id": object_id(issuer_id, content.ticket_number),
        "classId": class_id(issuer_id, content.event_code),
        "state": content.state,
        "ticketNumber": content.ticket_number,
        "ticketType": _text(content.package_name),
        "seatInfo": {"section": _text(content.area), "row": _text(content.unit), "seat": _text(content.seat)},
        "barcode": {"type": "QR_CODE", "value": content.code, "alternateText": content.ticket_number},
        "validTimeInterval": {
            "start": {"date": content.valid_from.isoformat()},
            "end": {"date": content.valid_until.isoformat()},
        },
    }
    if content.guest_name:
        data["ticketHolderName"] = content.guest_name
    return data


def barcode_patch(content: TicketObjectContent) -> dict:
    """What a reissue changes on an existing object: the barcode, and the holder if renamed."""
    patch = {
        "barcode": {"type": "QR_CODE", "value": content.code, "alternateText": content.ticket_number},
        "state": content.state,
    }
    if content.guest_name:
        patch["ticketHolderName"] = content.guest_name
    return patch


def _link_expiry(objects: list[dict], issued: int) -> int:
    """The link lasts as long as the tickets it saves are valid (a day if they do not say)."""
    ends = []
    for obj in objects:
        end = ((obj.get("validTimeInterval") or {}).get("end") or {}).get("date")
        if end:
            ends.append(int(datetime.fromisoformat(end).timestamp()))
    return max(ends, default=issued + 86400)


def save_jwt(config: WalletConfig, objects: list[dict], *, signer: crypt.RSASigner | None = None,
             origins: tuple[str, ...] = ()) -> str:
    issued = int(time.time())
    claims = {
        "iss": config.email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": issued,
        "exp": _link_expiry(objects, issued),
        "origins": list(origins),
        "payload": {"eventTicketObjects": objects},
    }
    token = jwt.encode(signer or config.signer(), claims)
    return token.decode("ascii") if isinstance(token, bytes) else token


def save_url(config: WalletConfig, objects: list[dict], *, signer: crypt.RSASigner | None = None) -> str:
    return SAVE_URL + save_jwt(config, objects, signer=signer)


class WalletClient:
    """REST calls to the Wallet API as the issuer's service account."""

    def __init__(self, config: WalletConfig, *, timeout: float = 20.0):
        from google.auth.transport.requests import AuthorizedSession
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_info(config.service_account, scopes=SCOPES)
        self.config = config
        self.session = AuthorizedSession(credentials)
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        url = f"{self.config.api_base}/{path}"
        try:
            response = self.session.request(method, url, json=body, timeout=self.timeout)
        except Exception as exc:  # network or token endpoint failure: worth another try
            raise WalletError(f"Google Wallet {method} {path} failed: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            retry = response.headers.get("Retry-After")
            raise WalletError(
                f"Google Wallet {method} {path} answered {response.status_code}: {response.text[:500]}",
                status=response.status_code, retry_after=float(retry) if retry and retry.isdigit() else None,
            )
        return response.json() if response.content else {}

    def upsert(self, resource: str, payload: dict) -> dict:
        """Insert `payload` (eventTicketClass or eventTicketObject), or replace it if it exists."""
        existing = self._call("GET", f"{resource}/{payload['id']}")
        if existing is None:
            return self._call("POST", resource, payload) or {}
        return self._call("PUT", f"{resource}/{payload['id']}", payload) or {}

    def patch(self, resource: str, resource_id: str, patch: dict) -> dict | None:
        """PATCH an existing resource; None when it does not exist (nothing to change)."""
        if self._call("GET", f"{resource}/{resource_id}") is None:
            return None
        return self._call("PATCH", f"{resource}/{resource_id}", patch)
