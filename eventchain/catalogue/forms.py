from django import forms

from ..models import Event, Package, Venue


class VenueForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = ["name", "address", "timezone", "latitude", "longitude"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["code", "name", "venue", "starts_at", "ends_at", "status"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        help_texts = {"starts_at": "In the venue's local time.", "code": "Used by the CRM and the API, e.g. GF2026."}


class PackageForm(forms.ModelForm):
    entitlements_text = forms.CharField(
        label="Entitlements", required=False, help_text="One per line, e.g. 'Lounge access' or 'Parking'.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Package
        fields = [
            "event", "code", "name", "inventory_kind", "seats_per_unit", "unit_price", "tax_rate",
            "ledger_account_code", "ledger_tax_type", "description", "active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["entitlements_text"].initial = "\n".join(self.instance.entitlements)

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["entitlements"] = [
            line.strip() for line in self.cleaned_data.get("entitlements_text", "").splitlines() if line.strip()
        ]
        return data
