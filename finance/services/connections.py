"""Ledger connections: which ledger is in use, Xero's token set (encrypted, refreshed under a row lock),
the organisation chosen from /connections, connection checks, and the ledger ids of our contacts."""

import time

from django.db import transaction
from django.utils import timezone

from eventchain import audit
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.roles import authorize

from .. import ledgers
from ..ledgers import xero_auth
from ..models import LedgerBackend, LedgerConnection, LedgerContact

REFRESH_MARGIN = 120  # seconds: refresh a token this close to expiry rather than risk a 401 mid-call


def connection(backend: str) -> LedgerConnection:
    found, _ = LedgerConnection.objects.get_or_create(backend=backend)
    return found


def use_ledger(*, actor, backend: str) -> LedgerConnection:
    """New invoices go to `backend` from now on (existing invoices stay with the ledger they were raised for)."""
    authorize(actor, "manage_ledger")
    if backend not in LedgerBackend.values:
        raise ValidationFailed(f"'{backend}' is not a ledger; choose local, xero or business_central.", field="backend")
    with transaction.atomic():
        if backend == LedgerBackend.XERO:
            chosen = connection(backend)
            if not chosen.tenant_id:
                raise StateConflict("Connect Xero and choose an organisation before using it for new invoices.")
        LedgerConnection.objects.filter(in_use=True).update(in_use=False)
        chosen = connection(backend)
        chosen.in_use = True
        chosen.save(update_fields=["in_use"])
        audit.record(actor, "ledger.selected", f"New invoices now go to {chosen.get_backend_display()}", target=chosen)
    return chosen


def _store_xero(*, actor, token: dict, mode: str) -> LedgerConnection:
    tenants = xero_auth.connections(token)
    if not tenants:
        raise StateConflict("Xero connected, but no organisation was shared with EventChain; connect again and tick "
                            "an organisation.")
    with transaction.atomic():
        xero = LedgerConnection.objects.select_for_update().get(pk=connection(LedgerBackend.XERO).pk)
        xero.store_token_set(token)
        xero.auth_mode = mode
        xero.available_tenants = tenants
        if len(tenants) == 1 or xero.tenant_id not in {t["id"] for t in tenants}:
            xero.tenant_id, xero.tenant_name = (tenants[0]["id"], tenants[0]["name"]) if len(tenants) == 1 else ("", "")
        xero.connected_by = actor if getattr(actor, "pk", None) else None
        xero.connected_at = timezone.now()
        xero.save()
        audit.record(actor, "ledger.connected", f"Xero connected ({xero.get_auth_mode_display()}); "
                     f"{len(tenants)} organisation(s) available", target=xero,
                     data={"tenants": [t["name"] for t in tenants]})
    return xero


def connect_xero_oauth(*, actor, code: str, redirect_uri: str) -> LedgerConnection:
    """Finish the authorization-code flow: exchange the code, store the token set, list organisations."""
    authorize(actor, "manage_ledger")
    return _store_xero(actor=actor, token=xero_auth.exchange_code(code=code, redirect_uri=redirect_uri),
                       mode=LedgerConnection.AuthMode.OAUTH)


def connect_xero_custom(*, actor) -> LedgerConnection:
    """Custom Connection: the app's client credentials give a token for its one organisation."""
    authorize(actor, "manage_ledger")
    return _store_xero(actor=actor, token=xero_auth.client_credentials_token(),
                       mode=LedgerConnection.AuthMode.CLIENT_CREDENTIALS)


def choose_xero_tenant(*, actor, tenant_id: str) -> LedgerConnection:
    authorize(actor, "manage_ledger")
    with transaction.atomic():
        xero = LedgerConnection.objects.select_for_update().get(pk=connection(LedgerBackend.XERO).pk)
        match = next((t for t in xero.available_tenants if t["id"] == tenant_id), None)
        if match is None:
            raise ValidationFailed("Choose one of the organisations Xero shared with EventChain.", field="tenant_id")
        xero.tenant_id, xero.tenant_name = match["id"], match["name"]
        xero.save(update_fields=["tenant_id", "tenant_name"])
        audit.record(actor, "ledger.tenant_chosen", f"Xero organisation set to {match['name']}", target=xero)
    return xero


def disconnect(*, actor, backend: str) -> LedgerConnection:
    authorize(actor, "manage_ledger")
    with transaction.atomic():
        chosen = LedgerConnection.objects.select_for_update().get(pk=connection(backend).pk)
        if chosen.in_use:
            raise StateConflict(f"{chosen.get_backend_display()} is the ledger in use; choose another one first.")
        chosen.store_token_set(None)
        chosen.tenant_id = chosen.tenant_name = ""
        chosen.available_tenants = []
        chosen.save()
        audit.record(actor, "ledger.disconnected", f"{chosen.get_backend_display()} disconnected", target=chosen)
    return chosen


def fresh_xero_token(*, force: bool = False) -> tuple[dict, str]:
    """A valid Xero access token and the chosen organisation; refreshes (and stores) it when due.

    The row lock makes workers refresh one at a time: Xero rotates refresh tokens, so two concurrent
    refreshes with the same one would leave the loser holding a dead token.
    """
    with transaction.atomic():
        xero = LedgerConnection.objects.select_for_update().filter(backend=LedgerBackend.XERO).first()
        if xero is None or not xero.token_ciphertext:
            raise xero_auth.XeroAuthFailed("Xero is not connected")
        if not xero.tenant_id:
            raise xero_auth.XeroAuthFailed("No Xero organisation is chosen")
        token = xero.token_set()
        if force or token.get("expires_at", 0) - REFRESH_MARGIN < time.time():
            if xero.auth_mode == LedgerConnection.AuthMode.CLIENT_CREDENTIALS:
                token = xero_auth.client_credentials_token()
            else:
                token = xero_auth.refresh(token)
            xero.store_token_set(token)
            xero.save(update_fields=["token_ciphertext"])
        return token, xero.tenant_id


def check(*, actor, backend: str) -> LedgerConnection:
    """Run the ledger's connection check now and keep the answer on the settings page."""
    authorize(actor, "manage_ledger")
    result = ledgers.get_ledger(backend).check_connection()
    with transaction.atomic():
        chosen = LedgerConnection.objects.select_for_update().get(pk=connection(backend).pk)
        chosen.last_tested_at = timezone.now()
        chosen.last_test_ok = result.ok
        chosen.last_test_message = result.message[:500]
        chosen.save(update_fields=["last_tested_at", "last_test_ok", "last_test_message"])
        audit.record(actor, "ledger.tested", f"{chosen.get_backend_display()}: {result.message}"[:500], target=chosen,
                     data={"ok": result.ok})
    return chosen


def ledger_contact_id(*, entity, backend: str, tenant_id: str) -> str | None:
    return (LedgerContact.objects.filter(billing_entity=entity, backend=backend, tenant_id=tenant_id)
            .values_list("external_id", flat=True).first())


def remember_ledger_contact(*, entity, backend: str, tenant_id: str, external_id: str) -> None:
    LedgerContact.objects.update_or_create(billing_entity=entity, backend=backend, tenant_id=tenant_id,
                                           defaults={"external_id": external_id})
