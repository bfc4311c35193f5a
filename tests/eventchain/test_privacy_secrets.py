"""Secrets at rest: every column classified `secret` holds ciphertext or a hash in the database, never plaintext."""

import base64
import re

import pytest
from django.db import connection

from eventchain import crypto, privacy

pytestmark = pytest.mark.django_db

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _raw(model, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{model._meta.db_table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def _secret_rows(make_staff, catalogue):
    """One stored row per secret column, with the plaintext that went in."""
    from distribution.models import PortalLoginLink
    from distribution.services import portal
    from eventchain import tokens
    from finance.models import LedgerConnection
    from tickets import keys

    rows = {}
    admin = make_staff("admin")
    token, raw = tokens.create_api_token(actor=None, user_email=admin.email, name="secret test")
    rows[("eventchain.ApiToken", "token_hash")] = (token.pk, raw)
    connection_row = LedgerConnection(backend="xero")
    connection_row.store_token_set({"access_token": "plain-access-token-123", "refresh_token": "r-456"})
    connection_row.save()
    rows[("finance.LedgerConnection", "token_ciphertext")] = (connection_row.pk, "plain-access-token-123")
    event = catalogue["GF2026"]
    signing = keys.create_key(event.pk)
    private = crypto.decrypt_bytes(signing.private_key_encrypted, purpose=keys.PURPOSE)
    rows[("tickets.SigningKey", "private_key_encrypted")] = (signing.pk, private)
    from buyers.models import Buyer, Contact

    buyer = Buyer.objects.create(name="Acme", crm_account_id="ACC-SECRET")
    contact = Contact.objects.create(buyer=buyer, name="Pat", email="pat@acme.example", is_primary=True)
    link = PortalLoginLink.objects.create(contact=contact, token_hash=portal._hash("magic-token-xyz"),
                                          expires_at=event.ends_at)
    rows[("distribution.PortalLoginLink", "token_hash")] = (link.pk, "magic-token-xyz")
    return rows


def test_secret_columns_are_ciphertext_or_hashes(make_staff, catalogue):
    rows = _secret_rows(make_staff, catalogue)
    secrets = [(model, name, rule) for model, name, rule in privacy.fields_in(privacy.Category.SECRET)]
    plaintext = {f"{model._meta.label}.{name}" for model, name, rule in secrets
                 if rule.strategy == privacy.Strategy.PLAINTEXT_SECRET}
    assert plaintext == {"tickets.Ticket.apple_auth_token"}, "a new plaintext secret: encrypt it (docs/privacy.md)"
    checked = set()
    for model, name, rule in secrets:
        key = (model._meta.label, name)
        if key not in rows:
            continue
        pk, plain = rows[key]
        stored = _raw(model, model._meta.get_field(name).column, pk)
        for form in ([plain] if isinstance(plain, str) else [plain.hex(), base64.b64encode(plain).decode()]):
            assert form not in stored
        if rule.strategy == privacy.Strategy.ENCRYPTED:
            assert stored.startswith("gAAAAA"), f"{key} is not Fernet ciphertext"
        else:
            assert rule.strategy == privacy.Strategy.HASHED and HEX64.match(stored), f"{key} is not a SHA-256"
        checked.add(key)
    assert {("finance.LedgerConnection", "token_ciphertext"), ("tickets.SigningKey", "private_key_encrypted"),
            ("eventchain.ApiToken", "token_hash"), ("distribution.PortalLoginLink", "token_hash")} <= checked
