"""An OpenID Connect provider on loopback that behaves like Microsoft Entra ID's v2.0 endpoints.

Authorization (redirects back with a one-time code), token (an RS256 ID token signed with a real RSA key,
carrying nonce, audience, issuer, expiry, auth_time and the groups claim), userinfo and JWKS. Tests pick who
signs in with `provider.sign_in_as(...)` and break tokens on purpose with `provider.tamper(...)`.
"""

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .loopback import LoopbackServer, Request, Response

CLIENT_ID = "eventchain-test-client"
CLIENT_SECRET = "eventchain-test-secret"


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Grant:
    claims: dict
    nonce: str
    redirect_uri: str
    auth_time: int


@dataclass
class FakeOIDCProvider:
    issuer: str = ""
    key: object = field(default_factory=_new_key)
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    person: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    sign_with_stranger_key: bool = False
    reuse_old_auth_time: bool = False
    authorize_requests: list = field(default_factory=list)
    _grants: dict = field(default_factory=dict)
    _tokens: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sign_in_as(self, email: str, groups: list[str], *, sub: str | None = None, **claims) -> None:
        """The person who completes the provider's sign-in page next (Entra puts group object ids in `groups`)."""
        self.person = {"sub": sub or f"sub-{email}", "preferred_username": email, "email": email,
                       "name": email.split("@")[0].title(), "groups": list(groups), **claims}

    def tamper(self, **overrides) -> None:
        """Claims to overwrite in the next ID tokens (e.g. aud="someone-else", exp=past)."""
        self.overrides.update(overrides)

    def fault_response(self, status: int, headers: dict) -> Response:
        return Response.json(status, {"error": "temporarily_unavailable"}, headers)

    def handle(self, request: Request) -> Response:
        routes = {("GET", "/authorize"): self._authorize, ("POST", "/token"): self._token,
                  ("GET", "/userinfo"): self._userinfo, ("GET", "/jwks"): self._jwks}
        route = routes.get((request.method, request.path))
        return route(request) if route else Response.json(404, {"error": "not_found"})

    def _authorize(self, request: Request) -> Response:
        params = dict(request.query)
        self.authorize_requests.append(params)
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return Response.json(400, {"error": "unauthorized_client"})
        if "openid" not in params.get("scope", "").split() or not params.get("redirect_uri"):
            return Response.json(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(24)
        # A provider that ignores prompt=login answers with the time of an earlier sign-in.
        auth_time = int(time.time()) - (3600 if self.reuse_old_auth_time else 0)
        with self._lock:
            self._grants[code] = Grant(dict(self.person), params.get("nonce", ""), params["redirect_uri"], auth_time)
        location = f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params.get('state', '')})}"
        return Response(302, b"", {"Location": location})

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode()))
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Response.json(401, {"error": "invalid_client"})
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # codes are one-time
        if form.get("grant_type") != "authorization_code" or grant is None:
            return Response.json(400, {"error": "invalid_grant"})
        if form.get("redirect_uri") != grant.redirect_uri:
            return Response.json(400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access_token] = grant.claims
        return Response.json(200, {"token_type": "Bearer", "expires_in": 3600, "access_token": access_token,
                                   "id_token": self.id_token(grant)})

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "nbf": now, "exp": now + 3600,
                  "nonce": grant.nonce, "auth_time": grant.auth_time, "tid": "fake-tenant", **grant.claims,
                  **self.overrides}
        key = _new_key() if self.sign_with_stranger_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def _userinfo(self, request: Request) -> Response:
        token = request.header("authorization").removeprefix("Bearer ").strip()
        with self._lock:
            claims = self._tokens.get(token)
        if claims is None:
            return Response.json(401, {"error": "invalid_token"})
        return Response.json(200, {k: v for k, v in claims.items() if k != "groups"})

    def _jwks(self, request: Request) -> Response:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return Response.json(200, {"keys": [jwk]})


def start() -> tuple[LoopbackServer, FakeOIDCProvider]:
    provider = FakeOIDCProvider()
    server = LoopbackServer(provider).start()
    provider.issuer = f"{server.base_url}/tenant/v2.0"
    return server, provider


def settings_for(server: LoopbackServer, provider: FakeOIDCProvider, group_roles: str) -> dict:
    """The EventChain settings that point single sign-on at this fake."""
    base = server.base_url
    return {"OIDC_RP_CLIENT_ID": CLIENT_ID, "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{base}/authorize", "OIDC_OP_TOKEN_ENDPOINT": f"{base}/token",
            "OIDC_OP_USER_ENDPOINT": f"{base}/userinfo", "OIDC_OP_JWKS_ENDPOINT": f"{base}/jwks",
            "EVENTCHAIN_OIDC_ISSUER": provider.issuer, "EVENTCHAIN_OIDC_GROUP_ROLES": group_roles}
