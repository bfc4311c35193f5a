"""The review queue: flags the velocity rules opened, and staff releasing or confirming them."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import velocity
from .errors import DomainError
from .models import Flag
from .pagination import page_of
from .roles import capability_required

STATUS_FILTERS = [("open", "Open, held"), ("confirmed", "Confirmed, still held"), ("released", "Released"),
                  ("all", "All")]


def _rules() -> dict[str, velocity.Rule]:
    return {current.name: current for current in velocity.all_rules()}


def _describe(flag: Flag, rules: dict) -> None:
    flag.rule_info = rules.get(flag.rule)
    flag.window_text = velocity.describe_window(flag.window_seconds)


@capability_required("review_flags")
def review_queue(request):
    status = request.GET.get("status", "open")
    rule = request.GET.get("rule", "").strip()
    search = request.GET.get("q", "").strip()
    flags = Flag.objects.select_related("reviewed_by")
    if status in Flag.Status.values:
        flags = flags.filter(status=status)
    if rule in velocity.RULES:
        flags = flags.filter(rule=rule)
    if search:
        flags = flags.filter(Q(subject_label__icontains=search) | Q(note__icontains=search))
    page, query = page_of(request, flags.order_by("-created_at", "-id"))
    counts = dict(Flag.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    rules = _rules()
    for flag in page.object_list:
        _describe(flag, rules)
    context = {"page": page, "query": query, "status": status, "rule": rule, "search": search, "counts": counts,
               "rules": rules.values(), "statuses": STATUS_FILTERS, "section": "review"}
    template = "eventchain/review.html#review-table" if request.htmx else "eventchain/review.html"
    return render(request, template, context)


@require_POST
@capability_required("review_flags")
def review_flag(request, flag_id: int):
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    error = notice = ""
    try:
        if decision == "release":
            velocity.release_flag(actor=request.user, flag_id=flag_id, note=note)
            notice = "Released: the hold is lifted."
        elif decision == "confirm":
            velocity.confirm_flag(actor=request.user, flag_id=flag_id, note=note)
            notice = "Confirmed: the hold stays until someone releases it."
        else:
            return HttpResponse("Choose release or confirm.", status=400)
    except DomainError as exc:
        error = exc.message
    flag = get_object_or_404(Flag.objects.select_related("reviewed_by"), pk=flag_id)
    if request.htmx:
        _describe(flag, _rules())
        return render(request, "eventchain/review.html#review-row",
                      {"flag": flag, "notice": notice, "error": error, "note": note if error else ""})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{flag.subject_label}: {notice}")
    return redirect("review-queue")
