"""Finance console: invoices, an invoice with its ledger sync, the reconciliation queue and ledger settings."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError
from eventchain.forms import show_errors
from eventchain.models import OutboxMessage
from eventchain.pagination import page_of
from eventchain.reauth import recent_auth_required
from eventchain.roles import capability_required, has_capability

from . import ledgers, pdf, queries, services
from .forms import MatchForm, PaymentForm, ReceiptForm, ResolveForm, TenantForm
from .ledgers.base import LedgerError
from .ledgers.xero_auth import XeroAuthFailed, authorize_url
from .models import Invoice, LedgerBackend, LedgerConnection, LedgerSyncState, LedgerWebhook, Payment
from .services import connections
from .services.invoicing import sync_messages

OAUTH_STATE = "finance.xero_oauth_state"


def _invoice_or_404(pk: int) -> Invoice:
    try:
        return queries.invoice_detail(pk)
    except Invoice.DoesNotExist as exc:
        raise Http404("No such invoice") from exc


# -- invoices ---------------------------------------------------------------------------------------------------
@capability_required("manage_invoices")
def invoices(request):
    filters = {
        "status": request.GET.get("status", ""), "sync": request.GET.get("sync", ""),
        "overdue": request.GET.get("overdue") == "1", "q": request.GET.get("q", "").strip(),
    }
    rows = queries.invoice_list(status=filters["status"], sync=filters["sync"], overdue=filters["overdue"],
                                search=filters["q"])
    page, query = page_of(request, rows)
    for invoice in page.object_list:
        invoice.sync = queries.sync_state(invoice)
    today = timezone.localdate()
    summary = Invoice.objects.exclude(status=Invoice.Status.VOID).aggregate(
        outstanding=Sum("amount_due"),
        overdue=Count("id", filter=Q(amount_due__gt=0, due_date__lt=today)),
    )
    context = {
        "page": page, "query": query, "filters": filters, "statuses": Invoice.Status.choices,
        "sync_states": queries.SYNC_STATES, "summary": summary, "section": "finance", "tab": "invoices",
        "stuck": OutboxMessage.objects.filter(kind__startswith="finance.", status__in=[
            OutboxMessage.Status.FAILED, OutboxMessage.Status.DEAD]).count(),
        "queue_open": queries.open_queue().count(),
    }
    template = "finance/invoices.html#invoice-table" if request.htmx else "finance/invoices.html"
    return render(request, template, context)


def _detail_context(request, invoice: Invoice, payment_form=None) -> dict:
    outbox_rows = list(sync_messages(invoice).prefetch_related("attempt_log").order_by("-created_at", "-id"))
    can_record = has_capability(request.user, "record_payments")
    takes_payments = (not ledgers.is_external(invoice.ledger_backend)
                      and invoice.status not in (Invoice.Status.VOID, Invoice.Status.DRAFT)
                      and invoice.amount_due > 0)
    return {
        "invoice": invoice, "booking": invoice.booking, "sync": queries.sync_state(invoice),
        "outbox_rows": outbox_rows, "section": "finance", "tab": "invoices",
        "stuck": [m for m in outbox_rows if m.status in (OutboxMessage.Status.FAILED, OutboxMessage.Status.DEAD)],
        "payment_form": (payment_form or PaymentForm()) if can_record and takes_payments else None,
        "can_manage": has_capability(request.user, "manage_invoices"),
        "terms_met": services.terms_met(invoice.booking),
    }


@capability_required("manage_invoices")
def invoice_detail(request, pk: int):
    invoice = _invoice_or_404(pk)
    return render(request, "finance/invoice_detail.html", _detail_context(request, invoice))


@require_POST
@capability_required("record_payments")
def record_payment(request, pk: int):
    invoice = _invoice_or_404(pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = services.record_payment(
                invoice_id=invoice.pk, amount=form.cleaned_data["amount"],
                received_on=form.cleaned_data["received_on"], reference=form.cleaned_data["reference"],
                actor=request.user,
            )
        except DomainError as exc:
            show_errors(form, exc, renamed={"date": "received_on"})
        else:
            invoice.refresh_from_db()
            messages.success(request, f"Recorded {payment.amount} on {invoice.number}; {invoice.amount_due} still due.")
            return redirect(invoice)
    invoice = _invoice_or_404(pk)
    return render(request, "finance/invoice_detail.html", _detail_context(request, invoice, form), status=422)


@require_POST
@capability_required("manage_invoices")
def retry_sync(request, pk: int):
    invoice = _invoice_or_404(pk)
    try:
        count = services.retry_sync(actor=request.user, invoice_id=invoice.pk)
        messages.success(request, f"Re-queued {count} ledger message{'s' if count != 1 else ''} for {invoice.number}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(invoice)


@capability_required("manage_invoices")
def invoice_pdf(request, pk: int):
    invoice = _invoice_or_404(pk)
    response = HttpResponse(pdf.invoice_pdf(invoice, base_url=request.build_absolute_uri("/")),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


# -- reconciliation ---------------------------------------------------------------------------------------------
def _reconciliation_context(request, receipt_form=None) -> dict:
    page, query = page_of(request, queries.open_queue())
    return {
        "page": page, "query": query, "receipt_form": receipt_form or ReceiptForm(),
        "resolved": queries.resolved_queue()[:10], "sync_states": LedgerSyncState.objects.order_by("backend"),
        "webhooks": LedgerWebhook.objects.aggregate(
            total=Count("id"), rejected=Count("id", filter=Q(signature_valid=False)),
            waiting=Count("id", filter=Q(signature_valid=True, processed_at__isnull=True))),
        "section": "finance", "tab": "reconciliation",
    }


@capability_required("record_payments")
def reconciliation(request):
    return render(request, "finance/reconciliation.html", _reconciliation_context(request))


@require_POST
@capability_required("record_payments")
def record_receipt(request):
    form = ReceiptForm(request.POST)
    if form.is_valid():
        try:
            result = services.record_receipt(reference=form.cleaned_data["reference"], amount=form.cleaned_data["amount"],
                                             received_on=form.cleaned_data["received_on"], actor=request.user)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if isinstance(result, Payment):
                messages.success(request, f"Applied {result.amount} to {result.invoice.number}.")
            else:
                messages.warning(request, f"Queued for a decision: {result.detail}")
            return redirect("finance:reconciliation")
    return render(request, "finance/reconciliation.html", _reconciliation_context(request, form), status=422)


@require_POST
@capability_required("record_payments")
def match_receipt(request, item_id: int):
    form = MatchForm(request.POST)
    if form.is_valid():
        invoice = Invoice.objects.filter(number=form.cleaned_data["invoice_number"].strip().upper()).first()
        if invoice is None:
            messages.error(request, f"No invoice is numbered {form.cleaned_data['invoice_number']}.")
        else:
            try:
                services.match_receipt(item_id=item_id, invoice_id=invoice.pk, actor=request.user)
                messages.success(request, f"Applied to {invoice.number}.")
            except DomainError as exc:
                messages.error(request, exc.message)
    else:
        messages.error(request, "Give the invoice number to apply the receipt to.")
    return redirect("finance:reconciliation")


@require_POST
@capability_required("record_payments")
def resolve_item(request, item_id: int):
    form = ResolveForm(request.POST)
    try:
        services.resolve_item(item_id=item_id, actor=request.user,
                              resolution=form.data.get("resolution", ""))
        messages.success(request, "Marked as resolved.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("finance:reconciliation")


@require_POST
@capability_required("record_payments")
def poll_now(request):
    from . import reconciliation as recon

    backends = recon.backends_to_poll()
    applied = sum(recon.poll(backend) for backend in backends)
    messages.info(request, f"Asked the ledger for new payments: {applied} applied." if backends
                  else "No external ledger has invoices waiting for payment.")
    return redirect("finance:reconciliation")


# -- ledger settings --------------------------------------------------------------------------------------------
def _connection(backend: str) -> LedgerConnection:
    return LedgerConnection.objects.filter(backend=backend).first() or LedgerConnection(backend=backend)


@capability_required("manage_ledger")
def ledger(request):
    xero = _connection(LedgerBackend.XERO)
    context = {
        "active": ledgers.active_backend(), "backends": LedgerBackend.choices, "default": settings.EVENTCHAIN_LEDGER,
        "xero": xero, "bc": _connection(LedgerBackend.BUSINESS_CENTRAL), "local": _connection(LedgerBackend.LOCAL),
        "tenant_form": TenantForm(tenants=xero.available_tenants, initial={"tenant_id": xero.tenant_id})
        if len(xero.available_tenants) > 1 else None,
        "xero_configured": bool(settings.XERO_CLIENT_ID and settings.XERO_CLIENT_SECRET),
        "webhook_configured": bool(settings.XERO_WEBHOOK_KEY),
        "webhook_url": f"{settings.EVENTCHAIN_BASE_URL}/api/v1/finance/xero/webhook",
        "redirect_uri": _redirect_uri(),
        "bc_settings": {"Tenant": settings.BC_TENANT_ID, "Environment": settings.BC_ENVIRONMENT,
                        "Company": settings.BC_COMPANY_ID, "Client id": settings.BC_CLIENT_ID},
        "section": "finance", "tab": "ledger",
    }
    return render(request, "finance/ledger.html", context)


def _redirect_uri() -> str:
    return f"{settings.EVENTCHAIN_BASE_URL}{reverse('finance:xero-callback')}"


def _run(request, action, success: str):
    try:
        result = action()
    except (DomainError, XeroAuthFailed, LedgerError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return None
    messages.success(request, success)
    return result


@require_POST
@capability_required("manage_ledger")
@recent_auth_required
def ledger_use(request):
    backend = request.POST.get("backend", "")
    _run(request, lambda: connections.use_ledger(actor=request.user, backend=backend),
         f"New invoices now go to {dict(LedgerBackend.choices).get(backend, backend)}.")
    return redirect("finance:ledger")


@require_POST
@capability_required("manage_ledger")
def ledger_test(request):
    backend = request.POST.get("backend", "")
    if backend not in LedgerBackend.values:
        messages.error(request, "Choose a ledger to test.")
        return redirect("finance:ledger")
    checked = connections.check(actor=request.user, backend=backend)
    (messages.success if checked.last_test_ok else messages.error)(request, checked.last_test_message)
    return redirect("finance:ledger")


@require_POST
@capability_required("manage_ledger")
@recent_auth_required
def ledger_disconnect(request):
    backend = request.POST.get("backend", "")
    _run(request, lambda: connections.disconnect(actor=request.user, backend=backend), "Disconnected.")
    return redirect("finance:ledger")


@capability_required("manage_ledger")
@recent_auth_required
def xero_connect(request):
    state = secrets.token_urlsafe(24)
    request.session[OAUTH_STATE] = state
    try:
        return redirect(authorize_url(redirect_uri=_redirect_uri(), state=state))
    except XeroAuthFailed as exc:
        messages.error(request, str(exc))
        return redirect("finance:ledger")


@capability_required("manage_ledger")
def xero_callback(request):
    expected = request.session.pop(OAUTH_STATE, None)
    if request.GET.get("error"):
        messages.error(request, f"Xero did not connect: {request.GET.get('error_description') or request.GET['error']}.")
    elif not expected or not secrets.compare_digest(expected, request.GET.get("state", "")):
        messages.error(request, "That Xero sign-in did not start here (or it expired); connect again.")
    else:
        connected = _run(request, lambda: connections.connect_xero_oauth(
            actor=request.user, code=request.GET.get("code", ""), redirect_uri=_redirect_uri()), "Xero is connected.")
        if connected is not None and not connected.tenant_id:
            messages.info(request, "Xero shared several organisations: choose the one EventChain should use.")
    return redirect("finance:ledger")


@require_POST
@capability_required("manage_ledger")
@recent_auth_required
def xero_custom_connection(request):
    _run(request, lambda: connections.connect_xero_custom(actor=request.user), "Xero Custom Connection is connected.")
    return redirect("finance:ledger")


@require_POST
@capability_required("manage_ledger")
def xero_tenant(request):
    _run(request, lambda: connections.choose_xero_tenant(actor=request.user, tenant_id=request.POST.get("tenant_id", "")),
         "Xero organisation chosen.")
    return redirect("finance:ledger")
