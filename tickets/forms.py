"""Lane 05 console forms. They only shape input; services decide and write."""

from django import forms

from .models import HEX_COLOUR, Channel

IMAGE_TYPES = ".png,.jpg,.jpeg,.svg,.webp"
MAX_UPLOAD = 5 * 1024 * 1024


class GuestRowForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Name")
    email = forms.EmailField(required=False, label="Email")
    phone = forms.CharField(max_length=40, required=False, label="Phone")
    requirements = forms.CharField(max_length=300, required=False, label="Requirements",
                                   help_text="Dietary, access or other needs")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any((data.get(name) or "").strip() for name in self.fields)


GuestFormSet = forms.formset_factory(GuestRowForm, extra=0)


class IssueForm(forms.Form):
    channel = forms.ChoiceField(
        label="Delivery channel", required=False,
        choices=[("", "Per guest: email the guest if we have their address, else the buyer"), *Channel.choices],
    )


class AssignGuestForm(forms.Form):
    guest = forms.TypedChoiceField(label="Guest", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, guests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guest"].choices = [("", "— unnamed —"), *((g.pk, g.name) for g in guests)]


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False, label="Reason (kept in the audit log)")


def _image(label: str) -> forms.FileField:
    return forms.FileField(label=label, required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES}))


class DesignForm(forms.Form):
    primary_colour = forms.CharField(label="Primary colour", validators=[HEX_COLOUR],
                                     widget=forms.TextInput(attrs={"type": "color"}))
    accent_colour = forms.CharField(label="Accent colour", validators=[HEX_COLOUR],
                                    widget=forms.TextInput(attrs={"type": "color"}))
    background_colour = forms.CharField(label="Paper colour", validators=[HEX_COLOUR],
                                        widget=forms.TextInput(attrs={"type": "color"}))
    text_colour = forms.CharField(label="Text colour", validators=[HEX_COLOUR],
                                  widget=forms.TextInput(attrs={"type": "color"}))
    logo = _image("Logo")
    hero = _image("Hero artwork")
    terms = forms.CharField(label="Conditions of entry", required=False,
                            widget=forms.Textarea(attrs={"rows": 5}), help_text="Blank lines separate paragraphs.")
    entry_opens_at = forms.DateTimeField(label="Entry opens", required=False,
                                         widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                         help_text="Gates open; codes scanned earlier answer not_yet_valid.")
    entry_closes_at = forms.DateTimeField(label="Entry closes", required=False,
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                          help_text="Empty: 24 hours after the event ends.")
    html = forms.CharField(label="Template HTML", required=False, widget=forms.Textarea(attrs={"rows": 12}),
                           help_text="Django template syntax. Empty uses the built-in design.")
    css = forms.CharField(label="Template CSS", required=False, widget=forms.Textarea(attrs={"rows": 12}),
                          help_text="Empty uses the built-in design. Only data: URIs and uploaded assets load.")

    def clean(self):
        data = super().clean()
        for name in ("logo", "hero"):
            upload = data.get(name)
            if upload and upload.size > MAX_UPLOAD:
                self.add_error(name, "Images must be 5 MB or smaller.")
        return data
