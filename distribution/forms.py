"""Console forms: input shape only; the rules live in the services."""

from django import forms

from .portal.forms import MODE_LABELS
from .services.sending import MODES

STAFF_LABELS = {
    "buyer_bundle": "One email to the buyer's primary contact with every ticket",
    "direct_to_guest": MODE_LABELS["direct_to_guest"].replace("come to me", "go to the primary contact"),
}


class DistributeForm(forms.Form):
    mode = forms.ChoiceField(label="Send", widget=forms.RadioSelect,
                             choices=[(mode, STAFF_LABELS[mode]) for mode in MODES])
