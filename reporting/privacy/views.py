"""Console pages for privacy (capability manage_privacy): DSAR search, export and erase; the retention schedule.

The email travels in POST bodies only, so it never lands in URLs, browser history or access logs.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError
from eventchain.models import Event
from eventchain.reauth import recent_auth_required
from eventchain.roles import capability_required

from . import retention
from .erase import erase_person, reference_for
from .export import export_for_request
from .people import find_person

LANES = ["buyers", "allocation", "finance", "tickets", "distribution", "reporting", "eventchain"]


def _grouped(person) -> list[dict]:
    groups = {}
    for model, rows in person.rows.items():
        if not rows:
            continue
        kinds = {}
        for found in rows.values():
            kinds[found.how] = kinds.get(found.how, 0) + 1
        groups.setdefault(model._meta.app_label, []).append(
            {"label": model._meta.verbose_name_plural, "model": model._meta.label, "count": len(rows), "kinds": kinds})
    return [{"lane": lane, "models": sorted(groups[lane], key=lambda m: m["model"]),
             "count": sum(m["count"] for m in groups[lane])} for lane in LANES if lane in groups]


@capability_required("manage_privacy")
def privacy_home(request):
    email = (request.POST.get("email", "") if request.method == "POST" else "").strip()
    context = {"section": "reporting", "tab": "privacy", "email": email}
    if email:
        if "@" not in email:
            context["error"] = "Enter the person's full email address, e.g. pat@acme.example."
        else:
            person = find_person(email)
            context.update(person=person, groups=_grouped(person), reference=reference_for(email),
                           names=sorted(person.names))
    return render(request, "reporting/privacy/home.html", context, status=422 if context.get("error") else 200)


@capability_required("manage_privacy")
@require_POST
def privacy_export(request):
    try:
        name, content = export_for_request(email=request.POST.get("email", ""), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("reporting:privacy")
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required("manage_privacy")
@recent_auth_required
@require_POST
def privacy_erase(request):
    email = request.POST.get("email", "").strip()
    context = {"section": "reporting", "tab": "privacy", "email": email}
    if request.POST.get("confirm_email", "").strip().lower() != email.lower() or not email:
        context["error"] = "Type the email address again to confirm the erasure."
    else:
        try:
            result = erase_person(email=email, actor=request.user, reason=request.POST.get("reason", ""),
                                  force=request.POST.get("force") == "on")
        except DomainError as exc:
            context["error"] = exc.message
        else:
            return render(request, "reporting/privacy/erased.html", {**context, "email": "", "result": result})
    person = find_person(email) if "@" in email else None
    context.update(person=person, groups=_grouped(person) if person else [], reference=reference_for(email),
                   reason=request.POST.get("reason", ""))
    return render(request, "reporting/privacy/home.html", context, status=422)


@capability_required("manage_privacy")
def retention_page(request):
    result = retention.report(events=Event.objects.order_by("-ends_at"))
    return render(request, "reporting/privacy/retention.html",
                  {"section": "reporting", "tab": "retention", "result": result})


@capability_required("manage_privacy")
@require_POST
def retention_policy(request, code):
    event = get_object_or_404(Event, code=code)
    try:
        retention.save_policy(actor=request.user, event_id=event.pk, **{
            name: request.POST.get(name, "") for name in
            ("guest_contact_days_after_event", "scans_days_after_event", "financial_years")})
    except DomainError as exc:
        messages.error(request, f"{event.code}: {exc.message}")
    else:
        messages.success(request, f"Retention policy of {event.code} saved.")
    return redirect("reporting:retention")


@capability_required("manage_privacy")
@recent_auth_required
@require_POST
def retention_run(request):
    code = request.POST.get("event", "")
    events = Event.objects.filter(code=code) if code else None
    result = retention.run(actor=request.user, events=events)
    erased = sum(plan.total for plan in result["plans"]) + result["portal_links"]
    messages.success(request, f"Retention run: data erased in {erased} row(s)." if erased
                     else "Retention run: nothing was due.")
    return redirect("reporting:retention")
