"""Console forms. They only clean input; the services decide and write."""

from django import forms

from eventchain.models import Event, Package, Venue

from .models import Area

UNITS_HELP = "Unit labels separated by commas, e.g. TABLE-07, TABLE-08. Leave empty to let the rules choose."


class AllocateForm(forms.Form):
    preferred_area = forms.ModelChoiceField(queryset=Area.objects.none(), required=False,
                                            empty_label="Any (layout order)",
                                            help_text="Overflow rules say where to go when it is full.")
    units = forms.CharField(required=False, label="Named units", help_text=UNITS_HELP,
                            widget=forms.TextInput(attrs={"placeholder": "TABLE-07, TABLE-08"}))

    def __init__(self, *args, venue_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        if venue_id:
            self.fields["preferred_area"].queryset = Area.objects.filter(venue_id=venue_id).order_by("position")


class ManualAllocationForm(AllocateForm):
    booking = forms.CharField(label="Booking", help_text="Reference such as BK-00012, or the booking id.",
                              widget=forms.TextInput(attrs={"placeholder": "BK-00012", "autofocus": True}))
    preferred_area = forms.ModelChoiceField(queryset=Area.objects.order_by("venue__name", "position"), required=False,
                                            empty_label="Any (layout order)",
                                            help_text="Must be an area of the booking's venue.")
    field_order = ["booking", "preferred_area", "units"]


class CompGrantForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, initial=1, help_text="Seats, units or passes given free.")
    package = forms.ModelChoiceField(queryset=Package.objects.none(), required=False, empty_label="The booking's package",
                                     help_text="What the comp is, e.g. parking passes for a suite.")
    reason = forms.CharField(max_length=300, help_text="Shown on the manifest and to finance.")
    units = forms.CharField(required=False, label="Named units", help_text="Optional; otherwise the rules choose.")

    def __init__(self, *args, event_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        if event_id:
            self.fields["package"].queryset = Package.objects.filter(event_id=event_id, active=True).order_by("code")


class AmendForm(forms.Form):
    add = forms.CharField(required=False, label="Add units", help_text="Labels, comma separated.")
    remove = forms.CharField(required=False, label="Remove units", help_text="Labels the booking holds now.")
    reason = forms.CharField(max_length=300, help_text="Why the allocation changes; kept on the new manifest.")


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Kept in the notes and the audit log.")
    cancel_booking = forms.BooleanField(required=False, label="Cancel the booking too",
                                        help_text="Otherwise it goes back to the queue to be allocated again.")


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX with a header row: booking, package, headcount, preferred area, "
                                     "requested units. Only booking is required.",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB; split it.")
        if not upload.name.lower().endswith((".csv", ".xlsx", ".xlsm", ".txt")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        return upload


class LayoutImportForm(forms.Form):
    venue = forms.ModelChoiceField(queryset=Venue.objects.order_by("name"))
    file = forms.FileField(help_text="CSV columns: area, kind, label, capacity, row, number and optionally parent "
                                     "(the table, suite or box a seat sits in).",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv"}))


class CompRuleForm(forms.Form):
    package = forms.ModelChoiceField(queryset=Package.objects.none(), help_text="Paid package that earns comps.")
    every = forms.IntegerField(min_value=1, initial=10, label="For every", help_text="Paid units of that package.")
    quantity = forms.IntegerField(min_value=1, initial=1, label="Comps given")
    comp_package = forms.ModelChoiceField(queryset=Package.objects.none(), required=False, label="Comp is",
                                          empty_label="More of the same package")

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        packages = Package.objects.filter(event=event, active=True).order_by("code")
        self.fields["package"].queryset = packages
        self.fields["comp_package"].queryset = packages


class OverflowForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none(), label="When this area is full")
    fallback = forms.ModelChoiceField(queryset=Area.objects.none(), label="Try next")

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        areas = Area.objects.filter(venue_id=event.venue_id).order_by("position")
        self.fields["area"].queryset = areas
        self.fields["fallback"].queryset = areas


class HoldForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. Sponsor block, House seats, Media.")
    owner = forms.CharField(max_length=200, help_text="Who it is held for.")
    units = forms.CharField(required=False, help_text="Unit labels, comma separated.")
    passes = forms.CharField(required=False, help_text="Passes from pools, e.g. PARKING-C: 10.")
    expires_at = forms.DateTimeField(required=False, label="Expires",
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     help_text="In the venue's time zone. Empty: held until released.")

    def clean_passes(self):
        text = self.cleaned_data["passes"]
        passes = {}
        for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
            label, _, count = part.partition(":")
            if not count.strip().isdigit() or int(count) < 1:
                raise forms.ValidationError(f"Write '{label.strip() or 'POOL'}: number', e.g. PARKING-C: 10.")
            passes[label.strip().upper()] = int(count)
        return passes


class BlockForm(forms.Form):
    units = forms.CharField(help_text="Unit labels, comma separated.")
    reason = forms.CharField(max_length=200, help_text="Shown on the map, e.g. Camera platform.")
