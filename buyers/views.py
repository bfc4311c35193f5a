"""Staff console for lane 02: buyers, contacts, billing entities, bookings, queues and CRM handoffs.

Every page works as plain HTML; with HTMX the forms swap only their own panel, and a successful
save answers HX-Redirect so the page reloads with the change.
"""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError, ValidationFailed
from eventchain.forms import show_errors
from eventchain.lifecycle import BookingStatus
from eventchain.pagination import page_of
from eventchain.roles import capability_required, has_capability

from . import handoff, lifecycle, queries, rules, services
from .forms import (
    AmendBookingForm,
    AssignAgentForm,
    BillingEntityForm,
    BookingForm,
    BuyerForm,
    ContactForm,
    DepositTermsForm,
    InstallmentFormSet,
    NewBuyerForm,
)
from .models import BillingEntity, Booking, Buyer, Contact, CrmHandoff

SECTION = {"section": "buyers"}


# ---------------------------------------------------------------- plumbing


def _done(request, url: str, notice: str) -> HttpResponse:
    messages.success(request, notice)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_page(request, *, form, save, success_url, notice, title, crumbs, extra=None, template="buyers/form.html"):
    """Render `form`; on a valid POST call `save(cleaned_data)` and go to `success_url(result)`."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            return _done(request, success_url(result), notice(result))
    context = {"form": form, "title": title, "crumbs": crumbs, "action": request.get_full_path(), **SECTION,
               **(extra or {})}
    status = 422 if request.method == "POST" else 200
    return render(request, f"{template}#form-panel" if request.htmx else template, context, status=status)


def _buyer_crumbs(buyer: Buyer) -> list[tuple[str, str]]:
    return [(reverse("buyers:list"), "Buyers"), (buyer.get_absolute_url(), buyer.name)]


def _booking_crumbs(booking: Booking) -> list[tuple[str, str]]:
    return [*_buyer_crumbs(booking.buyer), (booking.get_absolute_url(), booking.reference)]


def _refuse(request, exc: DomainError, url: str) -> HttpResponse:
    messages.error(request, exc.message)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# ---------------------------------------------------------------- buyers


@capability_required("view_buyers")
def buyer_list(request):
    user = request.user
    is_agent = queries.is_sales_agent(user)
    q = request.GET.get("q", "").strip()
    agent_filter = request.GET.get("agent", "") or ("mine" if is_agent else "all")
    status = request.GET.get("status", "")
    agents = list(queries.sales_agents())
    agent, unassigned = None, False
    if agent_filter == "mine":
        agent = user
    elif agent_filter == "none":
        unassigned = True
    elif agent_filter.isdigit():
        agent = next((a for a in agents if a.pk == int(agent_filter)), None)
        if agent is None:
            agent_filter = "all"
    buyers = queries.buyer_list(q=q, agent=agent, unassigned=unassigned,
                                status=status if status in Buyer.Status.values else "")
    page, query = page_of(request, buyers)
    context = {
        "page": page, "query": query, "q": q, "agent_filter": agent_filter, "status": status, "agents": agents,
        "statuses": Buyer.Status.choices, "is_agent": is_agent,
        "can_manage": has_capability(user, "manage_buyers"), **SECTION,
    }
    return render(request, "buyers/list.html#buyer-table" if request.htmx else "buyers/list.html", context)


@capability_required("view_buyers")
def buyer_detail(request, pk: int):
    buyer = queries.buyer_detail(pk)
    if buyer is None:
        raise Http404("No such buyer or booking.")
    can_assign = has_capability(request.user, "assign_agents")
    context = {
        "buyer": buyer, "activity": queries.buyer_activity(buyer),
        "can_manage": has_capability(request.user, "manage_buyers"), "can_assign": can_assign,
        "buyer_agents": list(queries.sales_agents()) if can_assign and buyer.sales_agent_id is None else [],
        **SECTION,
    }
    return render(request, "buyers/detail.html", context)


@capability_required("manage_buyers")
def buyer_new(request):
    can_assign = has_capability(request.user, "assign_agents")
    form = NewBuyerForm(request.POST or None, can_assign=can_assign)

    def save(data):
        # A sales agent owns what they create unless they pick another agent.
        agent = data.get("sales_agent") or (request.user if queries.is_sales_agent(request.user) else None)
        return services.create_buyer(actor=request.user, name=data["name"], crm_account_id=data["crm_account_id"],
                                     status=data["status"], notes=data["notes"], sales_agent=agent)

    return _form_page(request, form=form, save=save, success_url=lambda b: b.get_absolute_url(),
                      notice=lambda b: f"Buyer {b.name} created.", title="New buyer",
                      crumbs=[(reverse("buyers:list"), "Buyers")])


@capability_required("manage_buyers")
def buyer_edit(request, pk: int):
    buyer = get_object_or_404(Buyer, pk=pk)
    initial = {"name": buyer.name, "crm_account_id": buyer.crm_account_id or "", "status": buyer.status,
               "notes": buyer.notes}
    form = BuyerForm(request.POST or None, initial=initial)
    return _form_page(
        request, form=form, save=lambda data: services.update_buyer(actor=request.user, buyer_id=buyer.pk, **data),
        success_url=lambda b: b.get_absolute_url(), notice=lambda b: f"Buyer {b.name} saved.",
        title=f"Edit {buyer.name}", crumbs=_buyer_crumbs(buyer),
    )


@require_POST
@capability_required("assign_agents")
def buyer_assign(request, pk: int):
    buyer = get_object_or_404(Buyer, pk=pk)
    form = AssignAgentForm(request.POST)
    notice, error = "", ""
    if form.is_valid():
        try:
            buyer = services.assign_agent(actor=request.user, buyer_id=buyer.pk, agent=form.cleaned_data["sales_agent"])
            notice = f"{buyer.name} assigned to {buyer.sales_agent.email}."
        except DomainError as exc:
            error = exc.message
    else:
        error = "Choose the sales agent who owns this buyer."
    if request.htmx:
        buyer = queries.buyer_list().get(pk=buyer.pk)
        context = {"buyer": buyer, "form": AssignAgentForm(), "notice": notice, "error": error, "can_assign": True}
        return render(request, "buyers/assignment.html#assignment-row", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(request.POST.get("next") or reverse("buyers:assignment"))


@capability_required("view_buyers")
def assignment_queue(request):
    page, query = page_of(request, queries.buyers_needing_agent())
    context = {"page": page, "query": query, "form": AssignAgentForm(),
               "can_assign": has_capability(request.user, "assign_agents"), **SECTION}
    return render(request, "buyers/assignment.html", context)


# ---------------------------------------------------------------- contacts and billing entities


@capability_required("manage_buyers")
def contact_edit(request, pk: int | None = None, buyer_pk: int | None = None):
    contact = get_object_or_404(Contact.objects.select_related("buyer"), pk=pk) if pk else None
    buyer = contact.buyer if contact else get_object_or_404(Buyer, pk=buyer_pk)
    initial = ({"name": contact.name, "email": contact.email, "phone": contact.phone, "role": contact.role,
                "is_primary": contact.is_primary} if contact else {"is_primary": not buyer.contacts.exists()})
    form = ContactForm(request.POST or None, initial=initial)

    def save(data):
        if contact is None:
            return services.add_contact(actor=request.user, buyer_id=buyer.pk, **data)
        return services.update_contact(actor=request.user, contact_id=contact.pk, **data)

    return _form_page(request, form=form, save=save, success_url=lambda c: buyer.get_absolute_url(),
                      notice=lambda c: f"Contact {c.name} saved.",
                      title=f"Edit contact {contact.name}" if contact else f"New contact for {buyer.name}",
                      crumbs=_buyer_crumbs(buyer), extra={"cancel_url": buyer.get_absolute_url()})


@require_POST
@capability_required("manage_buyers")
def contact_remove(request, pk: int):
    contact = get_object_or_404(Contact.objects.select_related("buyer"), pk=pk)
    url = contact.buyer.get_absolute_url()
    try:
        services.remove_contact(actor=request.user, contact_id=contact.pk)
    except DomainError as exc:
        return _refuse(request, exc, url)
    return _done(request, url, f"Contact {contact.name} removed.")


@capability_required("manage_buyers")
def billing_entity_edit(request, pk: int | None = None, buyer_pk: int | None = None):
    entity = get_object_or_404(BillingEntity.objects.select_related("buyer"), pk=pk) if pk else None
    buyer = entity.buyer if entity else get_object_or_404(Buyer, pk=buyer_pk)
    form = BillingEntityForm(request.POST or None,
                             instance=BillingEntity.objects.get(pk=entity.pk) if entity else None,
                             initial=None if entity else {"country": "AU", "legal_name": buyer.name})

    def save(data):
        fields = form.service_fields()
        if entity is None:
            return services.add_billing_entity(actor=request.user, buyer_id=buyer.pk, **fields)
        return services.update_billing_entity(actor=request.user, billing_entity_id=entity.pk, **fields)

    return _form_page(request, form=form, save=save, success_url=lambda e: buyer.get_absolute_url(),
                      notice=lambda e: f"Billing entity {e.legal_name} saved.",
                      title=f"Edit {entity.legal_name}" if entity else f"New billing entity for {buyer.name}",
                      crumbs=_buyer_crumbs(buyer), extra={"cancel_url": buyer.get_absolute_url()})


# ---------------------------------------------------------------- bookings


@capability_required("view_buyers")
def booking_detail(request, pk: int):
    booking = queries.booking_detail(pk)
    if booking is None:
        raise Http404("No such buyer or booking.")
    installments = list(booking.installments.all())
    amounts = rules.installment_amounts(installments, booking.value) if installments else []
    context = {
        "booking": booking, "buyer": booking.buyer,
        "schedule": list(zip(installments, amounts, strict=True)),
        "missing": queries.missing_for_allocation(booking) if booking.status == BookingStatus.DRAFT else [],
        "amendable": booking.status in lifecycle.AMENDABLE_STATUSES,
        "activity": queries.booking_activity(booking),
        "can_manage": has_capability(request.user, "manage_buyers"), **SECTION,
    }
    return render(request, "buyers/booking.html", context)


@capability_required("manage_buyers")
def booking_edit(request, pk: int | None = None, buyer_pk: int | None = None):
    booking = get_object_or_404(Booking.objects.select_related("buyer"), pk=pk) if pk else None
    buyer = booking.buyer if booking else get_object_or_404(Buyer, pk=buyer_pk)
    initial = ({"event": booking.event_id, "package": booking.package_id, "headcount": booking.headcount,
                "billing_entity": booking.billing_entity_id, "special_requirements": booking.special_requirements}
               if booking else {"billing_entity": next(iter(buyer.billing_entities.all()), None)})
    form = BookingForm(request.POST or None, initial=initial, buyer=buyer, booking=booking)

    def save(data):
        if booking is None:
            return services.create_booking(actor=request.user, buyer_id=buyer.pk, **data)
        details = {} if booking.details_locked else {k: data[k] for k in ("event", "package", "headcount")}
        return services.update_booking(
            actor=request.user, booking_id=booking.pk, special_requirements=data["special_requirements"],
            billing_entity=data["billing_entity"], clear_billing_entity=data["billing_entity"] is None, **details,
        )

    crumbs = _booking_crumbs(booking) if booking else _buyer_crumbs(buyer)
    cancel = booking.get_absolute_url() if booking else buyer.get_absolute_url()
    return _form_page(request, form=form, save=save, success_url=lambda b: b.get_absolute_url(),
                      notice=lambda b: f"Booking {b.reference} saved.",
                      title=f"Edit booking {booking.reference}" if booking else f"New booking for {buyer.name}",
                      crumbs=crumbs, extra={"cancel_url": cancel})


@capability_required("manage_buyers")
def booking_amend(request, pk: int):
    booking = get_object_or_404(Booking.objects.select_related("buyer"), pk=pk)
    form = AmendBookingForm(request.POST or None, initial={"event": booking.event_id, "package": booking.package_id,
                                                          "headcount": booking.headcount})
    return _form_page(
        request, form=form,
        save=lambda data: services.amend_booking(actor=request.user, booking_id=booking.pk, **data),
        success_url=lambda b: b.get_absolute_url(), notice=lambda b: f"Booking {b.reference} amended.",
        title=f"Amend booking {booking.reference}", crumbs=_booking_crumbs(booking),
        extra={"cancel_url": booking.get_absolute_url(),
               "intro": "Event details are locked. An amendment needs a reason and is kept in the audit trail; "
                        "it is refused once stock is allocated."},
    )


@capability_required("manage_buyers")
def booking_terms(request, pk: int):
    booking = get_object_or_404(Booking.objects.select_related("buyer", "package"), pk=pk)
    stored = [{"label": i.label, "due_date": i.due_date, "percent": i.percent, "amount": i.amount}
              for i in booking.installments.all()]
    posted = request.method == "POST"
    terms = DepositTermsForm(request.POST or None, initial={"po_number": booking.po_number,
                                                            "release_on_deposit": booking.release_on_deposit})
    rows = InstallmentFormSet(request.POST or None, prefix="rows",
                              initial=stored or [{"label": "Deposit"}, {"label": "Balance"}])
    if posted and "add_row" in request.POST:
        # Re-render with one more empty row and everything typed so far (works with and without HTMX).
        data = request.POST.copy()
        data["rows-TOTAL_FORMS"] = str(int(data.get("rows-TOTAL_FORMS", 0)) + 1)
        rows = InstallmentFormSet(data, prefix="rows")
        terms = DepositTermsForm(data)
        return _terms_page(request, booking, terms, rows, status=200)
    if posted and terms.is_valid() and rows.is_valid():
        lines = [rules.installment(f.cleaned_data["label"], f.cleaned_data["due_date"], f.cleaned_data["percent"],
                                   f.cleaned_data["amount"]) for f in rows if not f.is_blank()]
        try:
            services.set_deposit_terms(actor=request.user, booking_id=booking.pk, installments=lines,
                                       **terms.cleaned_data)
        except DomainError as exc:
            _installment_errors(exc, terms, rows)
        else:
            return _done(request, booking.get_absolute_url(), f"Deposit terms of {booking.reference} saved.")
    return _terms_page(request, booking, terms, rows, status=422 if posted else 200)


def _installment_errors(exc: DomainError, terms, rows) -> None:
    filled = [form for form in rows if not form.is_blank()]
    for error in exc.errors:
        parts = (error.get("field") or "").split(".")
        if parts[0] == "installments" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(filled):
            target = filled[int(parts[1])]
            target.add_error(parts[2] if len(parts) > 2 and parts[2] in target.fields else None, error["message"])
        elif parts[0] in terms.fields:
            terms.add_error(parts[0], error["message"])
        else:
            terms.add_error(None, error["message"][0].upper() + error["message"][1:] + ".")


def _terms_page(request, booking, terms, rows, *, status: int):
    context = {"booking": booking, "terms": terms, "rows": rows, "crumbs": _booking_crumbs(booking),
               "action": request.get_full_path(), **SECTION}
    template = "buyers/terms.html#terms-panel" if request.htmx else "buyers/terms.html"
    return render(request, template, context, status=status)


def _booking_action(request, pk: int, action, notice: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    booking = get_object_or_404(Booking, pk=pk)
    try:
        booking = action(actor=request.user, booking_id=booking.pk)
    except DomainError as exc:
        return _refuse(request, exc, booking.get_absolute_url())
    return _done(request, booking.get_absolute_url(), notice.format(ref=booking.reference))


@capability_required("manage_buyers")
def booking_lock(request, pk: int):
    return _booking_action(request, pk, services.confirm_event_details,
                           "Event details of {ref} confirmed and locked.")


@capability_required("manage_buyers")
def booking_ready(request, pk: int):
    return _booking_action(request, pk, services.mark_ready_for_allocation,
                           "{ref} is ready for allocation: fulfilment can now reserve stock.")


@capability_required("view_buyers")
def ready_queue(request):
    page, query = page_of(request, queries.bookings_ready_for_allocation())
    return render(request, "buyers/ready.html", {"page": page, "query": query, **SECTION})


# ---------------------------------------------------------------- CRM handoffs


@capability_required("view_handoffs")
def handoff_list(request):
    outcome = request.GET.get("outcome", "")
    q = request.GET.get("q", "").strip()
    page, query = page_of(request, queries.handoff_list(outcome=outcome, q=q))
    context = {"page": page, "query": query, "outcome": outcome, "q": q, "outcomes": CrmHandoff.Outcome.choices,
               "can_replay": has_capability(request.user, "replay_handoffs"), "replayable": handoff.REPLAYABLE,
               **SECTION}
    return render(request, "buyers/handoffs.html#handoff-table" if request.htmx else "buyers/handoffs.html",
                  context)


@capability_required("view_handoffs")
def handoff_detail(request, pk: int):
    delivery = get_object_or_404(CrmHandoff.objects.select_related("booking", "replay_of"), pk=pk)
    context = {"delivery": delivery, "body": _pretty(bytes(delivery.raw_body)),
               "replays": delivery.replays.order_by("received_at", "pk"),
               "can_replay": has_capability(request.user, "replay_handoffs")
               and delivery.signature_valid and delivery.outcome in handoff.REPLAYABLE, **SECTION}
    return render(request, "buyers/handoff.html", context)


def _pretty(raw: bytes) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", errors="replace")


@require_POST
@capability_required("replay_handoffs")
def handoff_replay(request, pk: int):
    url = reverse("buyers:handoff", args=[pk])
    try:
        result = handoff.replay(actor=request.user, handoff_id=pk)
    except DomainError as exc:
        return _refuse(request, exc, url)
    delivery = result.handoff
    if result.status_code in (200, 201):
        return _done(request, reverse("buyers:handoff", args=[delivery.pk]),
                     f"Replayed: {delivery.get_outcome_display().lower()}, booking {delivery.booking.reference}.")
    failure = ValidationFailed("Replayed, but refused again: " + "; ".join(e["message"] for e in delivery.errors))
    return _refuse(request, failure, reverse("buyers:handoff", args=[delivery.pk]))
