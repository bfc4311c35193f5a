"""Guest-list forms: input shape only; the rules live in distribution/guestlists/services.py."""

from django import forms


class ClaimLinkForm(forms.Form):
    email = forms.EmailField(label="Email it to (optional)", required=False, max_length=254,
                             help_text="Leave empty to copy the link and send it yourself.")


class ClaimForm(forms.Form):
    ticket = forms.CharField(widget=forms.HiddenInput, max_length=48)
    name = forms.CharField(label="Your name (as printed on the ticket)", max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label="Email (your ticket is sent here)", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label="Mobile phone", required=False, max_length=40,
                            widget=forms.TextInput(attrs={"autocomplete": "tel"}))
    dietary = forms.CharField(label="Dietary needs", required=False, max_length=140)
    accessibility = forms.CharField(label="Accessibility needs", required=False, max_length=140)


class EventMessageForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=300)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 9}),
                           help_text="Placeholders: {{ name }}, {{ event }}, {{ reference }}, {{ venue }}, {{ starts }}, "
                                     "{{ package }}, {{ headcount }}, {{ entitlements }}, {{ tickets }}, {{ buyer }}.")
    days_before = forms.IntegerField(label="Days before the event (logistics)", min_value=0, max_value=60, initial=3)


class DeadlineForm(forms.Form):
    """Times are entered in the venue's zone (the view makes them aware)."""

    names_due_at = forms.DateTimeField(label="Names due by", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    cutoff_at = forms.DateTimeField(label="Guest list closes (cut-off)",
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def __init__(self, *args, optional: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = not optional
