"""Apple Wallet web service (the pass's webServiceURL + /v1/...): registrations, updated passes, logs.

Apple's contract: requests about one pass carry `Authorization: ApplePass <authenticationToken>`;
a wrong token answers 401. Update tags are milliseconds since the epoch of the pass's last change.
"""

import json
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import downloads, services
from .models import AppleRegistration, Ticket

log = logging.getLogger(__name__)


def update_tag(moment) -> str:
    return str(int(moment.timestamp() * 1000)) if moment else "0"


def _authorised_ticket(request: HttpRequest, pass_type: str, serial: str) -> Ticket | None:
    if pass_type != settings.APPLE_PASS_TYPE_ID:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "ApplePass" or not token:
        return None
    ticket = Ticket.objects.select_related("event", "event__venue", "booking", "package", "guest").filter(
        number=serial).first()
    if ticket is None or not ticket.apple_auth_token or not constant_time_compare(token, ticket.apple_auth_token):
        return None
    return ticket


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def registration(request: HttpRequest, device: str, pass_type: str, serial: str):
    ticket = _authorised_ticket(request, pass_type, serial)
    if ticket is None:
        return HttpResponse(status=401)
    if request.method == "DELETE":
        services.unregister_apple_device(ticket=ticket, device_library_id=device)
        return HttpResponse(status=200)
    try:
        push_token = str(json.loads(request.body or b"{}")["pushToken"])
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=400)
    created = services.register_apple_device(ticket=ticket, device_library_id=device, push_token=push_token)
    return HttpResponse(status=201 if created else 200)


@require_GET
def updated_serials(request: HttpRequest, device: str, pass_type: str):
    if pass_type != settings.APPLE_PASS_TYPE_ID:
        return HttpResponse(status=404)
    rows = AppleRegistration.objects.filter(device_library_id=device).select_related("ticket")
    since = request.GET.get("passesUpdatedSince", "")
    if since.isdigit():
        # Tags are whole milliseconds (floored): "changed since" means at or after the next millisecond.
        rows = rows.filter(ticket__wallet_updated_at__gte=datetime.fromtimestamp((int(since) + 1) / 1000, tz=UTC))
    tickets = [row.ticket for row in rows]
    if not tickets:
        return HttpResponse(status=204)
    last = max((ticket.wallet_updated_at for ticket in tickets if ticket.wallet_updated_at), default=None)
    return JsonResponse({"serialNumbers": sorted(ticket.number for ticket in tickets), "lastUpdated": update_tag(last)})


@require_GET
def latest_pass(request: HttpRequest, pass_type: str, serial: str):
    ticket = _authorised_ticket(request, pass_type, serial)
    if ticket is None:
        return HttpResponse(status=401)
    changed = int(ticket.wallet_updated_at.timestamp()) if ticket.wallet_updated_at else 0
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if since is not None and changed <= since:
        return HttpResponse(status=304)
    path = downloads.ticket_pkpass(ticket)
    if path is None:
        return HttpResponse(status=404)
    response = FileResponse(open(path, "rb"), content_type="application/vnd.apple.pkpass")  # noqa: SIM115
    response["Last-Modified"] = http_date(changed)
    return response


@csrf_exempt
@require_POST
def device_log(request: HttpRequest):
    try:
        entries = json.loads(request.body or b"{}").get("logs", [])
    except (ValueError, AttributeError):
        entries = []
    for entry in entries[:50]:
        log.warning("Apple Wallet reported: %s", str(entry)[:500])
    return HttpResponse(status=200)
