"""Xero OAuth2: the authorization-code connect flow, Custom Connections, refresh, and /connections.

Token calls go to XERO_IDENTITY_URL (the SDK's TokenApi hard-codes identity.xero.com, so a subclass
points it at the setting); API calls go to XERO_API_BASE_URL. Tokens are stored encrypted on the
LedgerConnection row by the callers in services.
"""

import time
from urllib.parse import urlencode

import requests
import urllib3
from django.conf import settings
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import OpenApiException
from xero_python.identity import IdentityApi

from .base import LedgerUnavailable

SCOPES = "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings.read"
TOKEN_KEYS = ("access_token", "refresh_token", "scope", "expires_in", "expires_at", "token_type", "id_token")


class XeroAuthFailed(Exception):
    """Xero refused to issue a token; the message says what to check."""


class _TokenApi(TokenApi):
    def __init__(self, api_client, client_id, client_secret):
        super().__init__(api_client, client_id, client_secret)
        self.refresh_token_url = self.client_credentials_token_url = f"{settings.XERO_IDENTITY_URL}/connect/token"
        self.revoke_token_url = f"{settings.XERO_IDENTITY_URL}/connect/revocation"


def normalise(raw: dict) -> dict:
    """The SDK's token shape: scope as a list and an absolute expiry, nothing it does not know."""
    token = {key: raw[key] for key in TOKEN_KEYS if key in raw}
    if isinstance(token.get("scope"), str):
        token["scope"] = token["scope"].split()
    token.setdefault("scope", [])
    token.setdefault("token_type", "Bearer")
    if "expires_at" not in token:
        token["expires_at"] = time.time() + int(token.get("expires_in") or 1800)
    return token


def api_client(token: dict | None = None) -> ApiClient:
    """An SDK client carrying `token`; it never refreshes by itself (services refresh under a row lock)."""
    holder = {"token": token or {}}
    client = ApiClient(
        Configuration(oauth2_token=OAuth2Token(client_id=settings.XERO_CLIENT_ID,
                                               client_secret=settings.XERO_CLIENT_SECRET)),
        oauth2_token_getter=lambda: holder["token"],
        oauth2_token_saver=lambda new: holder.update(token=new),
    )
    # One try per call: retrying (and not duplicating) is the outbox's job, with an idempotency key.
    client.rest_client.pool_manager.connection_pool_kw["retries"] = False
    return client


def _credentials() -> tuple[str, str]:
    if not settings.XERO_CLIENT_ID or not settings.XERO_CLIENT_SECRET:
        raise XeroAuthFailed("XERO_CLIENT_ID and XERO_CLIENT_SECRET are not set; add your Xero app's credentials "
                             "to the environment and restart.")
    return settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET


def _token_call(call) -> dict:
    try:
        return normalise(call(_TokenApi(api_client(), *_credentials())))
    except XeroAuthFailed:
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise LedgerUnavailable(f"Xero's identity service did not answer: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 — the SDK raises a bare Exception for a refused grant
        raise XeroAuthFailed(f"Xero refused the token request: {str(exc)[:300]}") from exc


def client_credentials_token() -> dict:
    """Custom Connection: a token for the one organisation the app was connected to in Xero."""
    return _token_call(lambda api: api.get_client_credentials_token(False))


def refresh(token: dict) -> dict:
    if not token.get("refresh_token"):
        raise XeroAuthFailed("The stored Xero connection has no refresh token; connect Xero again.")
    return _token_call(lambda api: api.refresh_token(token["refresh_token"], token.get("scope") or []))


def authorize_url(*, redirect_uri: str, state: str) -> str:
    client_id, _ = _credentials()
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                       "scope": SCOPES, "state": state})
    return f"{settings.XERO_LOGIN_URL}/identity/connect/authorize?{query}"


def exchange_code(*, code: str, redirect_uri: str) -> dict:
    """The authorization-code grant (the SDK has no helper for it): POST to the identity token endpoint."""
    client_id, secret = _credentials()
    try:
        response = requests.post(
            f"{settings.XERO_IDENTITY_URL}/connect/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=(client_id, secret), timeout=settings.EVENTCHAIN_LEDGER_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise XeroAuthFailed(f"Xero's identity service did not answer: {exc}") from exc
    if response.status_code != 200:
        raise XeroAuthFailed(f"Xero refused the authorization code ({response.status_code}: {response.text[:200]}); "
                             "start the connection again.")
    return normalise(response.json())


def connections(token: dict) -> list[dict]:
    """The organisations this token may use: [{"id": tenantId, "name": tenantName}]."""
    identity = IdentityApi(api_client(token), base_url=settings.XERO_API_BASE_URL)
    try:
        found = identity.get_connections(_request_timeout=(settings.EVENTCHAIN_LEDGER_TIMEOUT,) * 2)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise LedgerUnavailable(f"Xero did not answer: {exc}") from exc
    except OpenApiException as exc:
        raise XeroAuthFailed(f"Xero would not list the connected organisations: {str(exc)[:200]}") from exc
    return [{"id": str(c.tenant_id), "name": c.tenant_name or str(c.tenant_id)} for c in found
            if (c.tenant_type or "ORGANISATION") == "ORGANISATION"]
