"""Portal sign-in state, kept apart from staff auth, and `portal_scope`, the one door to buyer data.

A signed-in contact is `request.session["portal_contact_id"]`; no Django user is ever logged in,
so a portal session cannot reach the staff console and a staff login does not open the portal.
"""

from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse

from buyers.models import Buyer, Contact

SESSION_KEY = "portal_contact_id"


class SignInRequired(Exception):
    pass


def signed_in_contact(request: HttpRequest) -> Contact | None:
    if not hasattr(request, "_portal_contact"):
        contact = None
        contact_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if contact_id:
            contact = (
                Contact.objects.select_related("buyer").exclude(buyer__status=Buyer.Status.ARCHIVED)
                .filter(pk=contact_id).first()
            )
        request._portal_contact = contact
    return request._portal_contact


def portal_scope(request: HttpRequest) -> Buyer:
    """The signed-in contact's buyer. Every portal query filters by it; SignInRequired otherwise."""
    contact = signed_in_contact(request)
    if contact is None:
        raise SignInRequired
    return contact.buyer


def actor(request: HttpRequest) -> str:
    contact = signed_in_contact(request)
    return f"contact:{contact.email}" if contact else "anonymous"


def sign_in(request: HttpRequest, contact: Contact) -> None:
    request.session.cycle_key()  # a fresh session id: a planted one cannot ride along
    request.session[SESSION_KEY] = contact.pk
    request._portal_contact = contact


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    request._portal_contact = None


def portal_login_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            portal_scope(request)
        except SignInRequired:
            return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    wrapped.portal_login_required = True
    return wrapped


def can_download(request: HttpRequest, booking) -> bool:
    """tickets.access rule: the buyer signed in to the portal may fetch their own bookings' files."""
    contact = signed_in_contact(request)
    return contact is not None and contact.buyer_id == booking.buyer_id


def install_download_rule() -> None:
    from tickets import access

    access.allow(can_download)
