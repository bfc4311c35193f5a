"""Lane 04 tables: tax invoices and credit notes, payments against installments, ledger links and queues.

Invoices and credit notes are never deleted; a reduction or cancellation is a credit note that refers
to the invoice. Money is Decimal to the cent, rounded per line (eventchain.money).
"""

import json
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from allocation.models import Manifest
from buyers.models import BillingEntity, Booking
from eventchain import crypto
from eventchain.models import Package

TOKEN_PURPOSE = "finance.ledger-token-set"
ZERO = Decimal("0.00")


def money_field(**kwargs):
    return models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, **kwargs)


class LedgerBackend(models.TextChoices):
    LOCAL = "local", "Built-in ledger"
    XERO = "xero", "Xero"
    BUSINESS_CENTRAL = "business_central", "Business Central"


class InvoiceSequence(models.Model):
    """The last number used per prefix; taken under a row lock in the invoice's own transaction."""

    prefix = models.CharField(max_length=20, unique=True)
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.prefix} at {self.last_number}"


class Invoice(models.Model):
    """A tax invoice raised from a booking's manifest (or a supplementary one for added stock)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (not yet in the ledger)"
        POSTED = "posted", "Posted"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"
        VOID = "void", "Void (fully credited)"

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Tax invoice"
        SUPPLEMENTARY = "supplementary", "Supplementary tax invoice"

    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.INVOICE)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="invoices")
    manifest = models.OneToOneField(Manifest, on_delete=models.PROTECT, related_name="invoice")
    supplements = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="supplementary_invoices")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.DRAFT, db_index=True)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField()
    due_date = models.DateField(db_index=True)
    supplier_name = models.CharField(max_length=200)
    supplier_tax_number = models.CharField(max_length=40)
    billing_entity = models.ForeignKey(BillingEntity, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="invoices")
    bill_to_name = models.CharField(max_length=200)
    bill_to_tax_number = models.CharField(max_length=40, blank=True)
    bill_to_email = models.EmailField(blank=True)
    bill_to_address = models.TextField(blank=True)
    po_number = models.CharField(max_length=100, blank=True)
    subtotal = money_field()
    tax = money_field()
    total = money_field()
    amount_paid = money_field()
    amount_credited = money_field()
    amount_due = money_field()
    ledger_backend = models.CharField(max_length=16, choices=LedgerBackend.choices)
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    external_number = models.CharField(max_length=40, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    sync_note = models.CharField(max_length=500, blank=True, help_text="What the ledger said that needs a look.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_due__gte=0), name="invoice_amount_due_not_negative"),
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("tax")), name="invoice_total_is_sum"),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return f"{self.number} {self.bill_to_name}"

    def get_absolute_url(self):
        return reverse("finance:invoice", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.amount_due > 0 and self.status != self.Status.VOID and self.due_date < timezone.localdate()

    @property
    def title(self) -> str:
        return "Tax invoice" if self.kind == self.Kind.INVOICE else "Supplementary tax invoice"


class DocumentLine(models.Model):
    """A priced line of an invoice or credit note; amounts rounded per line like Xero."""

    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit_amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)
    line_amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Quantity × unit amount, ex tax.")
    account_code = models.CharField(max_length=20)
    tax_type = models.CharField(max_length=20)
    package = models.ForeignKey(Package, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_comp = models.BooleanField(default=False)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.quantity} × {self.description[:60]} @ {self.unit_amount}"

    @property
    def tax_percent(self) -> Decimal:
        return (self.tax_rate * 100).normalize()


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position")]


class InvoiceInstallment(models.Model):
    """One part of the invoice's payment schedule (deposit, balance), and how much of it is paid."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="installments")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)
    due_date = models.DateField()
    amount = money_field()
    amount_paid = money_field()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="installment_position_per_invoice"),
            models.CheckConstraint(condition=Q(amount_paid__lte=F("amount")), name="installment_not_overpaid"),
        ]

    def __str__(self):
        return f"{self.label} {self.amount} due {self.due_date}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.amount_paid

    @property
    def is_paid(self) -> bool:
        return self.amount_paid >= self.amount


class Payment(models.Model):
    """A receipt applied to an invoice: typed in by finance, or read from the external ledger."""

    class Source(models.TextChoices):
        CONSOLE = "console", "Recorded in the console"
        API = "api", "Recorded through the API"
        XERO = "xero", "Xero"
        BUSINESS_CENTRAL = "business_central", "Business Central"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    received_on = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    external_id = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["source", "external_id"], condition=~Q(external_id=""),
                                    name="payment_external_id_once"),
        ]

    def __str__(self):
        return f"{self.amount} on {self.received_on} ({self.reference or self.get_source_display()})"


class PaymentAllocation(models.Model):
    """How much of a payment went to which installment (oldest first)."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    installment = models.ForeignKey(InvoiceInstallment, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["payment", "installment__position"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_allocation_positive")]

    def __str__(self):
        return f"{self.amount} of payment {self.payment_id} to {self.installment}"


class CreditNote(models.Model):
    """Takes value off an invoice: a cancelled booking, a reduced manifest, or a correction."""

    class Reason(models.TextChoices):
        CANCELLATION = "cancellation", "Booking cancelled"
        REDUCTION = "reduction", "Manifest reduced"

    number = models.CharField(max_length=32, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    manifest = models.ForeignKey(Manifest, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    issue_date = models.DateField()
    subtotal = money_field()
    tax = money_field()
    total = money_field()
    amount_applied = money_field(help_text="Taken off the invoice's amount due; the rest is owed back to the buyer.")
    ledger_backend = models.CharField(max_length=16, choices=LedgerBackend.choices)
    external_id = models.CharField(max_length=100, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "issue_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("tax")), name="credit_note_total_is_sum"),
            models.CheckConstraint(condition=Q(amount_applied__lte=F("total")), name="credit_note_applied_le_total"),
        ]

    def __str__(self):
        return f"{self.number} credits {self.invoice.number}"

    @property
    def refund_due(self) -> Decimal:
        return self.total - self.amount_applied


class CreditNoteLine(DocumentLine):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["credit_note", "position"]
        constraints = [models.UniqueConstraint(fields=["credit_note", "position"], name="credit_note_line_position")]


class LedgerConnection(models.Model):
    """Credentials and choices for one external ledger; the token set is encrypted at rest."""

    class AuthMode(models.TextChoices):
        OAUTH = "oauth", "OAuth2 (authorization code)"
        CLIENT_CREDENTIALS = "client_credentials", "Custom Connection (client credentials)"

    backend = models.CharField(max_length=16, choices=LedgerBackend.choices, unique=True)
    in_use = models.BooleanField(default=False, help_text="New invoices go to this ledger.")
    auth_mode = models.CharField(max_length=20, choices=AuthMode.choices, blank=True)
    tenant_id = models.CharField(max_length=100, blank=True)
    tenant_name = models.CharField(max_length=200, blank=True)
    available_tenants = models.JSONField(default=list, blank=True, help_text="[{id, name}] from /connections.")
    token_ciphertext = models.TextField(blank=True)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    connected_at = models.DateTimeField(null=True, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["backend"]
        constraints = [models.UniqueConstraint(fields=["in_use"], condition=Q(in_use=True), name="one_ledger_in_use")]

    def __str__(self):
        return self.get_backend_display()

    def token_set(self) -> dict | None:
        if not self.token_ciphertext:
            return None
        return json.loads(crypto.decrypt_text(self.token_ciphertext, purpose=TOKEN_PURPOSE))

    def store_token_set(self, token: dict | None) -> None:
        self.token_ciphertext = crypto.encrypt_text(json.dumps(token), purpose=TOKEN_PURPOSE) if token else ""


class LedgerContact(models.Model):
    """The ledger's id for one of our billing entities (Xero ContactID, Business Central customer id)."""

    billing_entity = models.ForeignKey(BillingEntity, on_delete=models.CASCADE, related_name="ledger_contacts")
    backend = models.CharField(max_length=16, choices=LedgerBackend.choices)
    tenant_id = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(max_length=100)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["billing_entity", "backend", "tenant_id"],
                                               name="ledger_contact_once")]

    def __str__(self):
        return f"{self.billing_entity_id} in {self.backend}: {self.external_id}"


class LedgerSyncState(models.Model):
    """Where payment polling got to for a ledger (Xero If-Modified-Since, BC lastModifiedDateTime)."""

    backend = models.CharField(max_length=16, choices=LedgerBackend.choices, unique=True)
    cursor = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    receipts_applied = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.backend} polled to {self.cursor}"


class LedgerWebhook(models.Model):
    """One delivery to a ledger webhook endpoint, stored raw before anything else happens."""

    backend = models.CharField(max_length=16, choices=LedgerBackend.choices)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    raw_body = models.BinaryField()
    headers = models.JSONField(default=dict)
    signature_valid = models.BooleanField()
    event_count = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["signature_valid", "processed_at"])]

    def __str__(self):
        return f"{self.backend} webhook {self.received_at:%Y-%m-%d %H:%M} ({'signed' if self.signature_valid else 'refused'})"


class UnmatchedReceipt(models.Model):
    """The finance queue: money that arrived but could not be applied cleanly, waiting for a person."""

    class Reason(models.TextChoices):
        UNMATCHED = "unmatched", "No matching invoice"
        OVERPAYMENT = "overpayment", "More than the amount due"
        REFUND_DUE = "refund_due", "Credited after payment: refund owed"
        DISCREPANCY = "discrepancy", "Ledger disagrees with EventChain"

    reason = models.CharField(max_length=12, choices=Reason.choices, db_index=True)
    source = models.CharField(max_length=16, choices=Payment.Source.choices)
    external_id = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    received_on = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="queue_items")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    credit_note = models.ForeignKey(CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    detail = models.CharField(max_length=500, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["resolved_at", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id", "reason"], condition=~Q(external_id=""),
                                    name="queue_item_once_per_receipt"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.amount} {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
