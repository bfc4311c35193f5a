"""The signed-in contact's own marketing consent: see it, and change it (sent to the CRM with outcomes)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from buyers import services as buyer_services
from buyers.models import ConsentSource
from eventchain.errors import DomainError

from ..session import actor, portal_login_required, signed_in_contact
from .common import action_budget

CHOICES = {"yes": True, "no": False}


@portal_login_required
@action_budget
def consent(request):
    contact = signed_in_contact(request)
    error = ""
    if request.method == "POST":
        choice = request.POST.get("marketing_consent", "")
        if choice not in CHOICES:
            error = "Choose yes or no."
        else:
            try:
                buyer_services.set_marketing_consent(actor=actor(request), contact_id=contact.pk,
                                                     consent=CHOICES[choice], source=ConsentSource.PORTAL)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, "Your marketing preference is saved.")
                return redirect("portal:consent")
    contact.refresh_from_db()
    return render(request, "portal/consent.html", {"contact": contact, "error": error, "nav": "consent"},
                  status=422 if error else 200)
