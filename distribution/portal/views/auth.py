"""Portal sign-in by one-time email link. Same answer for known and unknown addresses."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from eventchain.errors import RateLimited

from ...services import portal as portal_services
from .. import session
from ..forms import EmailForm
from .common import client_ip, rate_limited


def _safe_next(request, url: str) -> str:
    if url and url.startswith("/portal/") and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("portal:home")


def login(request):
    if session.signed_in_contact(request) is not None and request.method == "GET":
        return redirect("portal:home")
    form = EmailForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "portal/login.html", {"form": form}, status=422)
        try:
            portal_services.request_login_link(email=form.cleaned_data["email"], ip=client_ip(request))
        except RateLimited as exc:
            response = render(request, "portal/login.html", {"form": form, "limited": exc.message})
            return rate_limited(response, exc)
        return render(request, "portal/login_sent.html", {"email": form.cleaned_data["email"]})
    if request.GET.get("next"):  # the email link opens in the same browser, usually: come back here after
        request.session["portal_next"] = _safe_next(request, request.GET["next"])
    return render(request, "portal/login.html", {"form": form})


def link(request, token: str):
    """GET shows a button; only the POST uses the link up (mail scanners follow GET links)."""
    try:
        login_link = portal_services.check_login_link(token)
    except portal_services.LinkRefused as exc:
        return render(request, "portal/login.html", {"form": EmailForm(), "refused": exc.message}, status=404)
    if request.method == "POST":
        try:
            contact = portal_services.redeem_login_link(token=token, ip=client_ip(request))
        except portal_services.LinkRefused as exc:
            return render(request, "portal/login.html", {"form": EmailForm(), "refused": exc.message}, status=404)
        next_url = _safe_next(request, request.session.pop("portal_next", ""))
        session.sign_in(request, contact)
        return redirect(next_url)
    return render(request, "portal/link_confirm.html", {"contact": login_link.contact})


@require_POST
def logout(request):
    contact = session.signed_in_contact(request)
    if contact is not None:
        portal_services.sign_out(contact=contact)
    session.sign_out(request)
    return redirect("portal:login")
