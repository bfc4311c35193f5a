"""Outbox handlers for wallet side effects: Google Wallet REST calls and APNs pushes to Apple Wallet.

Handlers read the ticket as it is when the message is delivered, so a late delivery pushes the
latest state, and repeating one is harmless (upserts and patches to the same values).
"""

import logging
from functools import lru_cache

from django.conf import settings

from eventchain import outbox
from eventchain.models import Event

from . import content
from .models import AppleRegistration, Ticket
from .wallet import apns, google

log = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def _client(*_settings_key) -> google.WalletClient:
    return google.WalletClient(google.WalletConfig.from_settings())


def client() -> google.WalletClient:
    try:
        return _client(settings.GOOGLE_WALLET_ISSUER_ID, settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE,
                       settings.GOOGLE_WALLET_API_BASE)
    except google.WalletNotConfigured as exc:
        raise outbox.PermanentFailure(str(exc)) from exc


def _call(func, *args):
    try:
        return func(*args)
    except google.WalletError as exc:
        if exc.transient:
            raise outbox.RetryLater(str(exc), retry_after=exc.retry_after) from exc
        raise outbox.PermanentFailure(str(exc)) from exc


def _tickets(ids):
    return Ticket.objects.filter(pk__in=ids).select_related("event", "event__venue", "package", "guest")


def _sync_class(wallet: google.WalletClient, event: Event) -> None:
    design = content.design_for(event)
    payload = google.event_class(wallet.config.issuer_id, content.google_class_content(event, design))
    _call(wallet.upsert, "eventTicketClass", payload)


@outbox.handler("tickets.google.sync_class")
def sync_class(message) -> None:
    event = Event.objects.select_related("venue").filter(pk=message.payload["event_id"]).first()
    if event is None:
        raise outbox.PermanentFailure("The event no longer exists.")
    _sync_class(client(), event)


@outbox.handler("tickets.google.sync_objects")
def sync_objects(message) -> None:
    wallet = client()
    issuer = wallet.config.issuer_id
    for ticket in _tickets(message.payload["ticket_ids"]):
        _call(wallet.upsert, "eventTicketObject", google.ticket_object(issuer, content.google_object_content(ticket)))


@outbox.handler("tickets.google.update_object")
def update_object(message) -> None:
    """Reissue: new barcode. Revoke: state EXPIRED. An object Google never got is created in full."""
    ticket = _tickets([message.payload["ticket_id"]]).first()
    if ticket is None:
        raise outbox.PermanentFailure("The ticket no longer exists.")
    wallet = client()
    issuer = wallet.config.issuer_id
    object_content = content.google_object_content(ticket)
    object_id = google.object_id(issuer, ticket.number)
    patch = {"state": google.EXPIRED} if ticket.revoked else google.barcode_patch(object_content)
    if _call(wallet.patch, "eventTicketObject", object_id, patch) is None and not ticket.revoked:
        _sync_class(wallet, ticket.event)
        _call(wallet.upsert, "eventTicketObject", google.ticket_object(issuer, object_content))


@outbox.handler("tickets.apple.push")
def push_apple(message) -> None:
    """Tell every device holding the pass that it changed; Wallet then fetches it from /wallet/v1/passes/."""
    registrations = list(AppleRegistration.objects.filter(ticket_id=message.payload["ticket_id"]))
    if not registrations:
        return
    try:
        sender = apns.sender()
    except apns.PushUnavailable as exc:
        raise outbox.PermanentFailure(str(exc)) from exc
    retry = []
    for registration in registrations:
        result = sender.push(registration.push_token, settings.APPLE_PASS_TYPE_ID)
        if result.token_dead:
            registration.delete()
        elif result.transient:
            retry.append(f"{result.status} {result.reason}".strip())
        elif not result.ok:
            log.warning("APNs refused a Wallet push for ticket %s: %s %s", registration.ticket_id,
                        result.status, result.reason)
    if retry:
        # Devices already told are harmless to tell again: Wallet just asks for the pass once more.
        raise outbox.RetryLater(f"APNs asked to retry: {', '.join(retry)}")
