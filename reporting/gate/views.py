"""Gate console pages: an event's scanners, rules, scans and imports; the exception desk; closing attendance."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError
from eventchain.models import Event
from eventchain.pagination import page_of
from eventchain.roles import capability_required

from .. import attendance
from ..models import Attendance, GateDevice, Scan, ScanImport, ScanResult, ScanSource
from . import devices, imports
from .scans import ScanInput, record_scan

RESULT_TONES = {
    ScanResult.ADMITTED: "ok", ScanResult.DUPLICATE: "warn", ScanResult.NOT_YET_VALID: "warn",
    ScanResult.EXPIRED: "bad", ScanResult.REVOKED: "bad", ScanResult.INVALID: "bad", ScanResult.WRONG_EVENT: "bad",
}


def _event(code: str) -> Event:
    return get_object_or_404(
        Event.objects.select_related("venue", "gate_settings", "ticket_design"), code=code.upper()
    )


def _gate_context(request, event: Event) -> dict:
    result = request.GET.get("result", "")
    search = request.GET.get("q", "").strip()
    scans = Scan.objects.filter(event=event).select_related("ticket", "ticket__guest", "scanner")
    if result in ScanResult.values:
        scans = scans.filter(result=result)
    if search:
        scans = scans.filter(Q(ticket__guest__name__icontains=search) | Q(ticket__number__icontains=search)
                             | Q(gate__icontains=search))
    page, query = page_of(request, scans.order_by("-scanned_at", "-id"))
    by_result = dict(Scan.objects.filter(event=event).order_by().values_list("result").annotate(n=Count("id")))
    present = Attendance.objects.filter(event=event).order_by().aggregate(
        admitted=Count("id", filter=Q(status=Attendance.Status.ADMITTED)),
        no_show=Count("id", filter=Q(status=Attendance.Status.NO_SHOW)),
    )
    settings = getattr(event, "gate_settings", None)
    design = getattr(event, "ticket_design", None)
    return {
        "event": event, "page": page, "query": query, "result": result, "search": search,
        "results": ScanResult.choices, "tones": RESULT_TONES,
        "counts": [(value, label, by_result.get(value, 0), RESULT_TONES[value]) for value, label in ScanResult.choices],
        "present": present, "allow_reentry": bool(settings and settings.allow_reentry),
        "entry_opens_at": design.entry_opens_at if design else None,
        "entry_closes_at": design.entry_closes_at if design else None,
        "devices": GateDevice.objects.filter(event=event).order_by("revoked_at", "gate", "-created_at"),
        "imports": ScanImport.objects.filter(event=event).defer("content").select_related("uploaded_by")[:10],
        "can_close": event.status not in (Event.Status.CLOSED, Event.Status.CANCELLED) and timezone.now() >= event.ends_at,
        "section": "reporting", "tab": "gate",
    }


@capability_required("manage_gate")
def event_gate(request, code: str):
    event = _event(code)
    context = _gate_context(request, event)
    template = "reporting/gate/event.html#scans" if request.htmx else "reporting/gate/event.html"
    return render(request, template, context)


@require_POST
@capability_required("manage_gate")
def device_create(request, code: str):
    event = _event(code)
    created_token, error = None, None
    try:
        _, created_token = devices.create_gate_device(actor=request.user, event_code=event.code,
                                                      gate=request.POST.get("gate", ""))
    except DomainError as exc:
        error = exc
    context = {**_gate_context(request, event), "created_token": created_token, "device_error": error,
               "gate_value": request.POST.get("gate", "") if error else ""}
    return render(request, "reporting/gate/event.html", context, status=422 if error else 200)


@require_POST
@capability_required("manage_gate")
def device_revoke(request, code: str, device_id: int):
    device = get_object_or_404(GateDevice, pk=device_id, event__code=code.upper())
    try:
        devices.revoke_gate_device(actor=request.user, device_id=device.pk)
        messages.success(request, f"Scanner token for {device.gate} revoked; that scanner now gets 401.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("reporting:gate", code=code.upper())


@require_POST
@capability_required("manage_gate")
def settings_save(request, code: str):
    event = _event(code)
    devices.save_gate_settings(actor=request.user, event_id=event.pk, allow_reentry=request.POST.get("allow_reentry") == "on")
    messages.success(request, "Gate rules saved.")
    return redirect("reporting:gate", code=event.code)


@require_POST
@capability_required("manage_gate")
def import_upload(request, code: str):
    event = _event(code)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose the gate manager's CSV export to import.")
        return redirect("reporting:gate", code=event.code)
    try:
        batch = imports.import_scans(actor=request.user, event_id=event.pk, file_name=upload.name, content=upload.read())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("reporting:gate", code=event.code)
    return redirect("reporting:import", code=event.code, import_id=batch.pk)


@capability_required("manage_gate")
def import_detail(request, code: str, import_id: int):
    batch = get_object_or_404(ScanImport.objects.select_related("event", "uploaded_by").defer("content"),
                              pk=import_id, event__code=code.upper())
    shown = request.GET.get("result", "")
    rows = [row for row in batch.results if not shown or row["result"] == shown]
    page, query = page_of(request, rows, per_page=100)
    return render(request, "reporting/gate/import.html", {
        "batch": batch, "event": batch.event, "page": page, "query": query, "shown": shown, "tones": RESULT_TONES,
        "section": "reporting", "tab": "gate",
    })


@require_POST
@capability_required("manage_gate")
def close(request, code: str):
    event = _event(code)
    try:
        summary = attendance.close_event_attendance(actor=request.user, event_id=event.pk)
        messages.success(request, f"{event.code} closed: {summary['admitted']} admitted, {summary['no_show']} no-shows, "
                                  f"{summary['outcomes']} buyer outcomes recorded.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("reporting:gate", code=event.code)


@capability_required("manage_gate")
def desk(request, code: str):
    """The exception desk: a person types or pastes a code and gets the gate's answer, big and clear."""
    event = _event(code)
    answer, error = None, None
    gate = request.POST.get("gate", "").strip() or request.GET.get("gate", "") or "Exception desk"
    if request.method == "POST":
        code_text = request.POST.get("code", "").strip()
        if not code_text:
            error = "Type or paste the ticket code (it starts with EC1:)."
        else:
            answer = record_scan(event=event, source=ScanSource.DESK, staff=request.user,
                                 scan=ScanInput(code=code_text, gate=gate[:100], scanned_at=timezone.now()))
    context = {"event": event, "answer": answer, "error": error, "gate": gate, "section": "reporting", "tab": "gate",
               "tone": RESULT_TONES.get(answer["result"]) if answer else None,
               "label": dict(ScanResult.choices).get(answer["result"]) if answer else None}
    if request.htmx and request.method == "POST":
        return render(request, "reporting/gate/desk.html#result", context, status=422 if error else 200)
    return render(request, "reporting/gate/desk.html", context, status=422 if error else 200)
