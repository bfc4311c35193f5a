"""Links in emails: the open-tracking pixel and tracked downloads. The signed token is the permission."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tickets import downloads
from tickets.models import Ticket, TicketStatus

from ... import links
from ...channels import google_callback
from ...models import TrackingKind
from ...services import tracking

# The smallest transparent GIF: 1×1, one colour.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
         b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
KINDS = {"pdf": TrackingKind.DOWNLOADED_PDF, "pkpass": TrackingKind.DOWNLOADED_PKPASS,
         "google": TrackingKind.GOOGLE_LINK, "bundle": TrackingKind.DOWNLOADED_PDF}


def open_pixel(request, token: str):
    payload = links.loads(token)
    if payload is None or not isinstance(payload.get("m"), int):
        raise Http404("Unknown image.")
    tracking.record_open(message_id=payload["m"], user_agent=request.headers.get("User-Agent", ""))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0"
    return response


def _stale(request):
    return render(request, "portal/link_stale.html", status=410)


def _file(path, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 - FileResponse closes it
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def tracked_file(request, token: str):
    payload = links.loads(token)
    if payload is None or payload.get("k") not in KINDS:
        raise Http404("Unknown link.")
    kind = payload["k"]
    if kind == "bundle":
        return _bundle(request, payload)
    ticket = Ticket.objects.select_related("event", "event__venue", "booking", "package", "guest").filter(
        pk=payload.get("t")).first()
    if ticket is None:
        raise Http404("Unknown link.")
    if ticket.status not in LIVE or ticket.generation != payload.get("g"):
        return _stale(request)
    if kind == "pdf":
        response = _file(downloads.ticket_pdf(ticket), "application/pdf", f"{ticket.number}.pdf")
    elif kind == "pkpass":
        path = downloads.ticket_pkpass(ticket)
        if path is None:
            raise Http404("Apple Wallet passes are not offered.")
        response = _file(path, "application/vnd.apple.pkpass", f"{ticket.number}.pkpass")
    else:
        if not ticket.google_save_url:
            raise Http404("Google Wallet is not offered.")
        response = HttpResponseRedirect(ticket.google_save_url)
    tracking.record_download(kind=KINDS[kind], booking_id=ticket.booking_id, ticket_id=ticket.pk,
                             message_id=payload.get("m"), source="email link")
    return response


def _bundle(request, payload: dict):
    wanted = {(int(pk), int(generation)) for pk, generation in payload.get("s", [])}
    tickets = list(
        Ticket.objects.filter(booking_id=payload.get("b"), pk__in=[pk for pk, _ in wanted])
        .select_related("event", "event__venue", "booking", "package", "guest")
        .order_by("manifest_line_id", "seat_index", "id")
    )
    if not tickets:
        raise Http404("Unknown link.")
    current = {(ticket.pk, ticket.generation) for ticket in tickets if ticket.status in LIVE}
    if current != wanted:
        return _stale(request)
    booking = tickets[0].booking
    response = _file(downloads.booking_pdf(tickets), "application/pdf", f"{booking.reference}-tickets.pdf")
    tracking.record_download(kind=TrackingKind.DOWNLOADED_PDF, booking_id=booking.pk, ticket_id=None,
                             message_id=payload.get("m"), source="email link (all tickets)")
    return response


@csrf_exempt
@require_POST
def google_wallet_callback(request):
    """Google Wallet calls this when a pass is saved or deleted (the class's callbackOptions.url)."""
    issuer_id = settings.GOOGLE_WALLET_ISSUER_ID
    if not issuer_id:
        raise Http404("Google Wallet is not configured.")
    try:
        event = google_callback.verify(request.body, issuer_id=issuer_id, keys=google_callback.root_keys())
    except google_callback.CallbackRefused as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    tracking.record_google_wallet(issuer_id=issuer_id, object_id=event.object_id, event_type=event.event_type,
                                  nonce=event.nonce)
    return HttpResponse(status=200)
