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
