"""Reusable reads for the finance console and API, with the joins they need and the ledger sync state."""

from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from eventchain.models import OutboxMessage

from .models import Invoice, LedgerBackend, UnmatchedReceipt
from .services.invoicing import INVOICE_POST

SYNC_STATES = ("pending", "synced", "failed", "dead")
_OUTBOX_TO_SYNC = {
    OutboxMessage.Status.PENDING: "pending", OutboxMessage.Status.IN_FLIGHT: "pending",
    OutboxMessage.Status.DONE: "synced", OutboxMessage.Status.FAILED: "failed", OutboxMessage.Status.DEAD: "dead",
}


def _outbox_status() -> Subquery:
    rows = OutboxMessage.objects.filter(kind=INVOICE_POST, object_type="finance.invoice",
                                        object_id=Cast(OuterRef("pk"), CharField()))
    return Subquery(rows.order_by("-id").values("status")[:1])


def with_sync(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(outbox_status=_outbox_status())


def sync_state(invoice: Invoice) -> str:
    """pending | synced | failed | dead — the built-in ledger is always in sync with itself."""
    if invoice.ledger_backend == LedgerBackend.LOCAL:
        return "synced"
    status = getattr(invoice, "outbox_status", None)
    if status is None and not hasattr(invoice, "outbox_status"):
        status = (OutboxMessage.objects.filter(kind=INVOICE_POST, object_type="finance.invoice",
                                               object_id=str(invoice.pk)).order_by("-id")
                  .values_list("status", flat=True).first())
    if status is None:
        return "synced" if invoice.posted_at else "pending"
    return _OUTBOX_TO_SYNC[status]


def invoice_list(*, status: str = "", sync: str = "", overdue: bool = False, search: str = "") -> QuerySet:
    rows = with_sync(Invoice.objects.select_related("booking__buyer", "booking__event"))
    if status in Invoice.Status.values:
        rows = rows.filter(status=status)
    if overdue:
        rows = rows.filter(amount_due__gt=0, due_date__lt=timezone.localdate()).exclude(status=Invoice.Status.VOID)
    if sync == "synced":
        rows = rows.filter(Q(ledger_backend=LedgerBackend.LOCAL) | Q(outbox_status=OutboxMessage.Status.DONE))
    elif sync == "pending":
        rows = rows.exclude(ledger_backend=LedgerBackend.LOCAL).filter(
            outbox_status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.IN_FLIGHT])
    elif sync in ("failed", "dead"):
        rows = rows.exclude(ledger_backend=LedgerBackend.LOCAL).filter(outbox_status=sync)
    if search:
        rows = rows.filter(Q(number__icontains=search) | Q(bill_to_name__icontains=search)
                           | Q(po_number__icontains=search) | Q(booking__buyer__name__icontains=search)
                           | Q(external_number__icontains=search))
    return rows.order_by("-issue_date", "-id")


def invoice_detail(invoice_id) -> Invoice:
    return (with_sync(Invoice.objects.select_related("booking__buyer", "booking__event__venue", "billing_entity",
                                                      "manifest", "supplements"))
            .prefetch_related("lines", "installments", "payments__recorded_by", "credit_notes__lines")
            .get(pk=invoice_id))


def api_invoice(invoice_id) -> Invoice | None:
    return with_sync(Invoice.objects.prefetch_related("lines", "installments")).filter(pk=invoice_id).first()


def open_queue() -> QuerySet:
    return (UnmatchedReceipt.objects.filter(resolved_at__isnull=True)
            .select_related("invoice", "credit_note").order_by("-created_at", "-id"))


def resolved_queue() -> QuerySet:
    return (UnmatchedReceipt.objects.filter(resolved_at__isnull=False)
            .select_related("invoice", "resolved_by").order_by("-resolved_at", "-id"))
