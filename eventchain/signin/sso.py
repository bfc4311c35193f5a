"""Single sign-on through OpenID Connect (Microsoft Entra ID, or any provider with the same endpoints).

mozilla-django-oidc runs the code flow and checks the signature and nonce; this backend also checks the
ID token's issuer, audience and expiry, finds or creates the staff user by email, and sets their roles
from the provider's groups through EVENTCHAIN_OIDC_GROUP_ROLES at every sign-in.
"""

import logging
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .. import audit
from ..roles import ROLE_NAMES

logger = logging.getLogger(__name__)

REQUIRED_SETTINGS = ("OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET", "OIDC_OP_AUTHORIZATION_ENDPOINT",
                     "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT", "EVENTCHAIN_OIDC_ISSUER",
                     "EVENTCHAIN_OIDC_GROUP_ROLES")
REAUTH_SESSION_KEY = "eventchain_sso_reauth_started"
CLOCK_SKEW = 60
NO_ROLE_MESSAGE = ("Your organisation account signed in, but none of its groups is mapped to an EventChain role. "
                   "Ask an EventChain administrator to add your group to EVENTCHAIN_OIDC_GROUP_ROLES.")


def missing_settings() -> list[str]:
    return [name for name in REQUIRED_SETTINGS if not getattr(settings, name, "")]


def configured() -> bool:
    return not missing_settings()


def group_role_map() -> dict[str, set[str]]:
    """EVENTCHAIN_OIDC_GROUP_ROLES "group=role,group=role" → {group: {roles}}; unknown roles are ignored."""
    mapping: dict[str, set[str]] = {}
    for pair in settings.EVENTCHAIN_OIDC_GROUP_ROLES.split(","):
        group, _, role = pair.strip().rpartition("=")
        if group.strip() and role.strip() in ROLE_NAMES:
            mapping.setdefault(group.strip(), set()).add(role.strip())
    return mapping


def provider_groups(claims: dict) -> set[str]:
    groups: set[str] = set()
    for claim in settings.EVENTCHAIN_OIDC_GROUPS_CLAIMS:
        value = claims.get(claim) or []
        groups.update([value] if isinstance(value, str) else [str(item) for item in value])
    return groups


def roles_for(claims: dict) -> set[str]:
    mapping = group_role_map()
    return set().union(*(mapping.get(group, set()) for group in provider_groups(claims)))


def email_of(claims: dict) -> str:
    for claim in ("email", "preferred_username", "upn"):
        value = (claims.get(claim) or "").strip()
        if "@" in value:
            return value.lower()
    return ""


def sync_roles(*, user, roles: set[str]) -> tuple[set[str], set[str]]:
    """Make the user's EventChain role groups exactly `roles`; audit what changed."""
    current = set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))
    added, removed = roles - current, current - roles
    if added:
        user.groups.add(*Group.objects.filter(name__in=added))
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    if added or removed:
        audit.record(user, "eventchain.sso_roles_changed",
                     f"Roles for {user.email} follow the identity provider: "
                     f"added {', '.join(sorted(added)) or 'none'}; removed {', '.join(sorted(removed)) or 'none'}",
                     target=user, data={"added": sorted(added), "removed": sorted(removed)})
    return added, removed


class EventChainOIDCBackend(OIDCAuthenticationBackend):
    refusal = ""
    _claims: dict = {}

    def authenticate(self, request, **kwargs):
        # Only the SSO callback passes a nonce; password sign-in must not reach the provider.
        if request is None or "nonce" not in kwargs or not configured():
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, jwt.PyJWTError) as exc:
            logger.warning("Single sign-on refused: %s", exc)
            self.refusal = self.refusal or "Single sign-on did not complete. Try again, or ask an administrator."
            return None
        finally:
            if self.refusal:
                messages.error(request, self.refusal)
                audit.record("sso", "eventchain.sso_refused", f"Single sign-on refused: {self.refusal}",
                             data={"ip": request.META.get("REMOTE_ADDR", "")})

    def _verify_jws(self, payload, key):
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("The ID token is not signed with the expected algorithm.")
        try:
            return jwt.decode(
                payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO], audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.EVENTCHAIN_OIDC_ISSUER, leeway=CLOCK_SKEW,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload):
        """The verified ID token's claims, topped up from the userinfo endpoint when one is configured."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if info.get("sub") and info["sub"] != payload.get("sub"):
                raise SuspiciousOperation("The userinfo answer is for a different subject than the ID token.")
            groups = provider_groups(claims) | provider_groups(info)
            claims.update(info)
            claims["groups"] = sorted(groups)
        self._check_reauth(payload)
        return claims

    def _check_reauth(self, payload):
        started = self.request.session.get(REAUTH_SESSION_KEY)
        if started and float(payload.get("auth_time") or 0) < float(started) - CLOCK_SKEW:
            self.refusal = "The identity provider did not ask for your password again; confirm it's you again."
            raise SuspiciousOperation("auth_time older than the re-authentication request")

    def verify_claims(self, claims):
        self._claims = claims
        if not email_of(claims):
            self.refusal = "Your organisation account has no email address EventChain can use."
            return False
        if not roles_for(claims):
            self.refusal = NO_ROLE_MESSAGE
            return False
        return True

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(email__iexact=email_of(claims))

    def create_user(self, claims):
        email = email_of(claims)
        user = self.UserModel(username=email, email=email, first_name=(claims.get("given_name") or "")[:150],
                              last_name=(claims.get("family_name") or "")[:150], is_staff=True)
        user.set_unusable_password()
        user.save()
        audit.record(user, "eventchain.sso_user_created", f"{email} first signed in through single sign-on",
                     target=user, data={"sub": claims.get("sub", "")})
        return user

    def get_or_create_user(self, access_token, id_token, payload):
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is None:
            return None
        if not user.is_active:
            self.refusal = "This EventChain account is switched off. Ask an administrator."
            return None
        claims = self._claims
        with transaction.atomic():
            added, removed = sync_roles(user=user, roles=roles_for(claims))
            audit.record(user, "eventchain.sso_sign_in", f"{user.email} signed in through single sign-on",
                         target=user, data={"sub": claims.get("sub", ""), "groups": sorted(provider_groups(claims)),
                                            "roles_added": sorted(added), "roles_removed": sorted(removed),
                                            "at": int(time.time())})
        return user
