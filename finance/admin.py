"""Read-only table access for superusers: money moves only through services (console, API, ledger sync)."""

from django.contrib import admin

from .models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceInstallment,
    InvoiceLine,
    LedgerConnection,
    LedgerSyncState,
    LedgerWebhook,
    Payment,
    UnmatchedReceipt,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # invoices are never deleted, only credited


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine


class InstallmentInline(ReadOnlyInline):
    model = InvoiceInstallment


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly):
    list_display = ["number", "bill_to_name", "issue_date", "total", "amount_due", "status", "ledger_backend"]
    list_filter = ["status", "ledger_backend", "kind"]
    search_fields = ["number", "bill_to_name", "po_number", "external_id"]
    inlines = [InvoiceLineInline, InstallmentInline]


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnly):
    list_display = ["number", "invoice", "reason", "total", "amount_applied", "ledger_backend"]
    inlines = [CreditNoteLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ["invoice", "amount", "received_on", "source", "reference"]
    list_filter = ["source"]


@admin.register(UnmatchedReceipt)
class UnmatchedReceiptAdmin(ReadOnly):
    list_display = ["reason", "amount", "reference", "invoice", "created_at", "resolved_at"]
    list_filter = ["reason", "source"]


@admin.register(LedgerConnection)
class LedgerConnectionAdmin(ReadOnly):
    list_display = ["backend", "in_use", "auth_mode", "tenant_name", "last_test_ok"]
    exclude = ["token_ciphertext"]  # encrypted, and of no use to a person


@admin.register(LedgerSyncState)
class LedgerSyncStateAdmin(ReadOnly):
    list_display = ["backend", "cursor", "last_polled_at", "receipts_applied"]


@admin.register(LedgerWebhook)
class LedgerWebhookAdmin(ReadOnly):
    list_display = ["backend", "received_at", "signature_valid", "event_count", "processed_at"]
    list_filter = ["backend", "signature_valid"]
