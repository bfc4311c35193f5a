"""Kernel console pages: home, admin hub, audit log, outbox, API tokens and job progress."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import outbox, tokens
from .errors import DomainError
from .models import ApiToken, AuditEntry, Job, OutboxMessage
from .pagination import page_of
from .roles import capability_required

HTMX_STOP_POLLING = 286


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "login")


@capability_required("view_audit")
def admin_home(request):
    outbox_counts = dict(
        OutboxMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return render(request, "eventchain/admin_home.html", {"outbox_counts": outbox_counts, "section": "admin"})


@capability_required("view_audit")
def audit_log(request):
    entries = AuditEntry.objects.select_related("actor")
    filters = {
        "q": request.GET.get("q", "").strip(),
        "action": request.GET.get("action", "").strip(),
        "actor": request.GET.get("actor", "").strip(),
        "object_type": request.GET.get("object_type", "").strip(),
        "object_id": request.GET.get("object_id", "").strip(),
        "since": request.GET.get("since", "").strip(),
    }
    if filters["q"]:
        entries = entries.filter(summary__icontains=filters["q"])
    if filters["action"]:
        entries = entries.filter(action__startswith=filters["action"])
    if filters["actor"]:
        entries = entries.filter(actor__email__icontains=filters["actor"]) | entries.filter(
            actor_label__icontains=filters["actor"]
        )
    if filters["object_type"]:
        entries = entries.filter(object_type=filters["object_type"])
    if filters["object_id"]:
        entries = entries.filter(object_id=filters["object_id"])
    if filters["since"]:
        entries = entries.filter(when__date__gte=filters["since"])
    page, query = page_of(request, entries.order_by("-when", "-id"))
    object_types = AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()
    context = {"page": page, "query": query, "filters": filters, "object_types": sorted(filter(None, object_types)),
               "section": "admin"}
    template = "eventchain/audit_log.html#audit-table" if request.htmx else "eventchain/audit_log.html"
    return render(request, template, context)


@capability_required("manage_outbox")
def outbox_list(request):
    status = request.GET.get("status", "attention")
    rows = OutboxMessage.objects.all()
    if status == "attention":
        rows = rows.filter(status__in=[OutboxMessage.Status.FAILED, OutboxMessage.Status.DEAD])
    elif status in OutboxMessage.Status.values:
        rows = rows.filter(status=status)
    kind = request.GET.get("kind", "").strip()
    if kind:
        rows = rows.filter(kind=kind)
    page, query = page_of(request, rows.order_by("-updated_at", "-id"))
    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    context = {
        "page": page, "query": query, "status": status, "kind": kind, "counts": counts,
        "statuses": OutboxMessage.Status.choices, "section": "admin",
        "kinds": OutboxMessage.objects.order_by().values_list("kind", flat=True).distinct(),
    }
    template = "eventchain/outbox.html#outbox-table" if request.htmx else "eventchain/outbox.html"
    return render(request, template, context)


@require_POST
@capability_required("manage_outbox")
def outbox_requeue(request, message_id: int):
    try:
        message = outbox.requeue(actor=request.user, message_id=message_id)
        notice = f"{message.kind} #{message.pk} re-queued."
    except OutboxMessage.DoesNotExist:
        return HttpResponse("That message no longer exists.", status=404)
    except DomainError as exc:
        message = get_object_or_404(OutboxMessage, pk=message_id)
        notice = exc.message
    message.refresh_from_db()
    if request.htmx:
        return render(request, "eventchain/outbox.html#outbox-row", {"message": message, "notice": notice})
    messages.info(request, notice)
    return redirect("outbox-list")


@capability_required("manage_api_tokens")
def api_tokens(request):
    created_token = None
    error = None
    if request.method == "POST":
        try:
            _, created_token = tokens.create_api_token(
                actor=request.user, user_email=request.POST.get("user_email", ""), name=request.POST.get("name", "")
            )
        except DomainError as exc:
            error = exc
    rows = ApiToken.objects.select_related("user").order_by("-created_at")
    page, query = page_of(request, rows)
    users = get_user_model().objects.filter(is_active=True).order_by("email")
    return render(
        request,
        "eventchain/api_tokens.html",
        {"page": page, "query": query, "created_token": created_token, "error": error, "users": users,
         "form_values": request.POST if error else {}, "section": "admin"},
        status=422 if error else 200,
    )


@require_POST
@capability_required("manage_api_tokens")
def api_token_revoke(request, token_id: int):
    try:
        tokens.revoke_api_token(actor=request.user, token_id=token_id)
        messages.success(request, "Token revoked. Clients using it now get 401.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("api-tokens")


@capability_required("view_console")
def job_progress(request, job_id):
    job = get_object_or_404(Job, pk=job_id)
    response = render(request, "eventchain/_job_progress.html", {"job": job})
    if job.finished and request.htmx:
        response.status_code = HTMX_STOP_POLLING
    return response
