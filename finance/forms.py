"""Console forms for finance: receipts, queue decisions and the Xero organisation choice."""

from decimal import Decimal

from django import forms
from django.utils import timezone


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                                help_text="What arrived, e.g. 3135.00.")
    received_on = forms.DateField(label="Received on",
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                  help_text="The day the money reached the bank.")
    reference = forms.CharField(max_length=200, required=False, help_text="Bank reference, e.g. EFT 8812.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"received_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReceiptForm(PaymentForm):
    """A bank line not yet tied to an invoice: applied when its reference names one, queued otherwise."""

    reference = forms.CharField(max_length=200, help_text="As it appears on the statement; include the invoice "
                                                          "number (e.g. INV-000123) when the buyer quoted it.")


class MatchForm(forms.Form):
    invoice_number = forms.CharField(max_length=32, label="Invoice number", help_text="e.g. INV-000123")


class ResolveForm(forms.Form):
    resolution = forms.CharField(max_length=300, label="How it was resolved",
                                 help_text="e.g. Refunded by EFT 4410, or Kept as credit for the next event.")


class TenantForm(forms.Form):
    tenant_id = forms.ChoiceField(label="Xero organisation")

    def __init__(self, *args, tenants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant_id"].choices = [(t["id"], t["name"]) for t in tenants]
