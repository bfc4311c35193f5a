"""Portal forms: input shape only; the rules live in the services."""

from django import forms

from ..services.sending import MODES

MODE_LABELS = {
    "buyer_bundle": "All tickets to me, in one email",
    "direct_to_guest": "Each guest gets their own ticket by email (tickets without a guest email come to me)",
}


class EmailForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class GuestForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email", required=False, max_length=254)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    requirements = forms.CharField(label="Requirements", required=False, max_length=300,
                                   help_text="Dietary, access or other needs.")


class UploadForm(forms.Form):
    file = forms.FileField(label="Guest list file (.csv or .xlsx)")


class DeliveryForm(forms.Form):
    mode = forms.ChoiceField(label="How should the tickets go out?", widget=forms.RadioSelect,
                             choices=[(mode, MODE_LABELS[mode]) for mode in MODES])


class ReissueForm(forms.Form):
    reason = forms.CharField(label="Why is the ticket reissued?", max_length=300,
                             help_text="For example: phone lost, email forwarded to the wrong person.")


class RevokeForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", max_length=300, required=False)
    confirm = forms.BooleanField(label="I understand this ticket will stop working and cannot be restored.")


class TransferForm(forms.Form):
    name = forms.CharField(label="New guest's name", max_length=200)
    email = forms.EmailField(label="New guest's email", required=False, max_length=254,
                             help_text="The ticket is emailed to them when it has already been sent.")
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=300)


class AssignForm(forms.Form):
    guest = forms.IntegerField(required=False)
