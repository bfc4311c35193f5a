"""Raw table access for superusers; staff work in the console (console/buyers/)."""

from django.contrib import admin

from .models import BillingEntity, Booking, Buyer, Contact, CrmHandoff, PaymentInstallment


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class BillingEntityInline(admin.StackedInline):
    model = BillingEntity
    extra = 0


@admin.register(Buyer)
class BuyerAdmin(admin.ModelAdmin):
    list_display = ["name", "crm_account_id", "sales_agent", "unmatched_agent_email", "status"]
    list_filter = ["status"]
    search_fields = ["name", "crm_account_id", "contacts__email"]
    inlines = [ContactInline, BillingEntityInline]


class InstallmentInline(admin.TabularInline):
    model = PaymentInstallment
    extra = 0


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["id", "buyer", "event", "package", "headcount", "status", "status_changed_at", "crm_deal_id"]
    list_filter = ["status", "event"]
    search_fields = ["buyer__name", "crm_deal_id", "po_number"]
    list_select_related = ["buyer", "event", "package"]
    # Status moves only through buyers.services.transition, which audits each move.
    readonly_fields = ["status", "status_changed_at", "details_locked_at"]
    inlines = [InstallmentInline]


@admin.register(CrmHandoff)
class CrmHandoffAdmin(admin.ModelAdmin):
    """Deliveries are evidence: read-only here; replay them from the console."""

    list_display = ["received_at", "deal_id", "outcome", "status_code", "signature_valid", "booking"]
    list_filter = ["outcome", "signature_valid"]
    search_fields = ["deal_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
