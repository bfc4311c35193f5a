"""Staff API tokens: created once, shown once, stored as SHA-256."""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import audit
from .errors import NotFound, StateConflict, ValidationFailed
from .models import ApiToken
from .roles import authorize

TOKEN_PREFIX = "ec_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(*, actor, user_email: str, name: str) -> tuple[ApiToken, str]:
    """Return the token row and the plaintext token, which is never stored or shown again."""
    authorize(actor, "manage_api_tokens")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the token a name that says where it is used, e.g. 'CRM production'.",
                               field="name")
    user = get_user_model().objects.filter(email__iexact=user_email.strip(), is_active=True).first()
    if user is None:
        raise NotFound(f"No active staff user has the email {user_email!r}.", field="user")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:10], token_hash=hash_token(raw))
        audit.record(actor, "api_token.created", f"API token '{token.name}' created for {user.email}", target=token)
    return token, raw


def revoke_api_token(*, actor, token_id: int) -> ApiToken:
    authorize(actor, "manage_api_tokens")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound("That API token does not exist.")
        if token.revoked_at:
            raise StateConflict("That API token is already revoked.")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "api_token.revoked", f"API token '{token.name}' revoked", target=token)
    return token


def authenticate_token(raw: str):
    """The active user behind a bearer token, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw), revoked_at=None).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
