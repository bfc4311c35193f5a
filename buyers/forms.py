"""Console forms: they parse what a person typed; the services decide whether it is allowed."""

from django import forms

from eventchain.models import Event, Package

from . import rules
from .models import BillingEntity, Booking, Buyer
from .queries import sales_agents


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name} ({user.email})" if name else user.email


class PackageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, package):
        return f"{package.event.code} · {package.code} — {package.name} ({package.seats_per_unit} per unit)"


def _events():
    return Event.objects.filter(status=Event.Status.ON_SALE).select_related("venue").order_by("starts_at")


def _packages():
    return Package.objects.filter(active=True, event__status=Event.Status.ON_SALE).select_related("event") \
        .order_by("event__starts_at", "code")


class BuyerForm(forms.Form):
    name = forms.CharField(label="Account name", max_length=200)
    crm_account_id = forms.CharField(label="CRM account id", max_length=100, required=False,
                                     help_text="Links CRM handoffs to this buyer, e.g. ACC-77.")
    status = forms.ChoiceField(choices=Buyer.Status.choices, initial=Buyer.Status.ACTIVE)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NewBuyerForm(BuyerForm):
    sales_agent = AgentChoiceField(queryset=sales_agents(), required=False, empty_label="Needs assignment",
                                   help_text="The sales agent who owns the account.")

    def __init__(self, *args, can_assign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sales_agent"].queryset = sales_agents()
        if not can_assign:
            # Without assign_agents a sales agent creates buyers for themselves (the view sets it).
            del self.fields["sales_agent"]


class AssignAgentForm(forms.Form):
    sales_agent = AgentChoiceField(queryset=sales_agents(), empty_label="Choose an agent…")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sales_agent"].queryset = sales_agents()


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    phone = forms.CharField(max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    role = forms.CharField(max_length=100, required=False, help_text="e.g. Event coordinator, EA to the CEO")
    is_primary = forms.BooleanField(label="Primary contact", required=False,
                                    help_text="Receives tickets and invoices; replaces the current primary.")


class BillingEntityForm(forms.ModelForm):
    class Meta:
        model = BillingEntity
        fields = ["legal_name", "tax_number", "email", "address_line1", "address_line2", "city", "region",
                  "postcode", "country"]
        labels = {"tax_number": "ABN / tax number", "email": "Invoice email", "address_line1": "Address",
                  "address_line2": "Address line 2", "region": "State / region"}

    def clean_tax_number(self):
        # Checked here too so a person sees the ABN error beside the field before anything is sent.
        value = self.cleaned_data["tax_number"].strip()
        message = rules.tax_number_error(value, self.data.get("country", "AU"))
        if message:
            raise forms.ValidationError(message[0].upper() + message[1:] + ".")
        return value

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class BookingForm(forms.Form):
    event = forms.ModelChoiceField(queryset=Event.objects.none())
    package = PackageChoiceField(queryset=Package.objects.none(), help_text="Must be sold for the chosen event.")
    headcount = forms.IntegerField(min_value=1, help_text="Guests; units are worked out from the package size.")
    billing_entity = forms.ModelChoiceField(queryset=BillingEntity.objects.none(), required=False,
                                            empty_label="Choose later")
    special_requirements = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                           help_text="Dietary needs, accessibility, arrival times.")

    def __init__(self, *args, buyer: Buyer, booking: Booking | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = _events()
        self.fields["package"].queryset = _packages()
        self.fields["billing_entity"].queryset = buyer.billing_entities.all()
        if booking is not None and booking.details_locked:
            # Locked details change through an amendment with a reason, not this form.
            for name in ("event", "package", "headcount"):
                self.fields[name].disabled = True
                self.fields[name].required = False
                self.fields[name].help_text = "Locked: amend the booking to change it."
            self.fields["event"].queryset = Event.objects.filter(pk=booking.event_id)
            self.fields["package"].queryset = Package.objects.filter(pk=booking.package_id).select_related("event")


class AmendBookingForm(forms.Form):
    event = forms.ModelChoiceField(queryset=Event.objects.none())
    package = PackageChoiceField(queryset=Package.objects.none())
    headcount = forms.IntegerField(min_value=1)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Why it changes; kept in the booking's audit trail.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = _events()
        self.fields["package"].queryset = _packages()


class InstallmentForm(forms.Form):
    label = forms.CharField(max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "Deposit"}))
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    percent = forms.DecimalField(max_digits=6, decimal_places=3, required=False, min_value=0,
                                 widget=forms.NumberInput(attrs={"step": "0.001", "placeholder": "%"}))
    amount = forms.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0,
                                widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": "0.00"}))

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) not in (None, "") for name in self.fields)


InstallmentFormSet = forms.formset_factory(InstallmentForm, extra=0)


class DepositTermsForm(forms.Form):
    po_number = forms.CharField(label="PO number", max_length=100, required=False,
                                help_text="The buyer's purchase order, quoted on the invoice.")
    release_on_deposit = forms.BooleanField(
        required=False, label="Release tickets once the deposit is paid",
        help_text="Otherwise tickets are released on full payment.",
    )
