"""Portal pages for guest lists: the public claim page, claim links for the coordinator, the address book."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError, RateLimited, ValidationFailed
from eventchain.forms import show_errors

from ..portal import queries
from ..portal.session import actor, portal_login_required, portal_scope, signed_in_contact
from ..portal.views.common import action_budget, client_ip, rate_limited
from . import addressbook, services
from .forms import ClaimForm, ClaimLinkForm
from .models import ClaimLink


def _refused(request, message: str, status: int = 404):
    return render(request, "portal/claim/refused.html", {"message": message}, status=status)


def claim(request, token: str):
    """No account: the link is the permission. GET shows the form; only the POST uses the link up."""
    try:
        link = services.check_claim(token)
    except services.ClaimRefused as exc:
        return _refused(request, exc.message)
    ticket = link.ticket
    booking = ticket.booking
    frozen = services.deadlines(booking).frozen()
    form = ClaimForm(request.POST or None, initial={"ticket": ticket.number})
    context = {"link": link, "ticket": ticket, "booking": booking, "event": booking.event, "form": form,
               "frozen": frozen}
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.redeem_claim(token=token, ticket_number=form.cleaned_data["ticket"],
                                           values=form.cleaned_data, ip=client_ip(request))
        except RateLimited as exc:
            return rate_limited(render(request, "portal/claim/form.html", {**context, "error": exc.message}), exc)
        except ValidationFailed as exc:
            show_errors(form, exc)
            return render(request, "portal/claim/form.html", context, status=422)
        except DomainError as exc:
            return _refused(request, exc.message, status=exc.http_status)
        return render(request, "portal/claim/done.html", {"ticket": ticket, "event": booking.event})
    return render(request, "portal/claim/form.html", context, status=422 if request.method == "POST" else 200)


@portal_login_required
@action_budget
def ticket_links(request, ticket_id):
    """The coordinator's claim links for one seat: make one (copy or email), see and withdraw earlier ones."""
    buyer = portal_scope(request)
    ticket = queries.ticket(buyer, ticket_id)
    form = ClaimLinkForm(request.POST or None)
    created_url, error, status = "", "", 200
    if request.method == "POST" and form.is_valid():
        try:
            _, created_url = services.create_claim_link(buyer=buyer, ticket_id=ticket.pk, actor=actor(request),
                                                        email=form.cleaned_data["email"])
            form = ClaimLinkForm()
        except RateLimited as exc:
            error, status = exc.message, 429
        except DomainError as exc:
            error, status = exc.message, exc.http_status
    return render(request, "portal/claim/links.html", {
        "contact": signed_in_contact(request), "ticket": ticket, "booking": ticket.booking, "form": form,
        "created_url": created_url, "error": error, "links": list(ticket.claim_links.all()[:20]), "nav": "bookings",
    }, status=status)


@require_POST
@portal_login_required
@action_budget
def revoke_link(request, link_id):
    buyer = portal_scope(request)
    link = ClaimLink.objects.filter(pk=link_id, ticket__booking__buyer=buyer).first()
    if link is None:
        raise Http404("No such claim link.")
    services.revoke_claim_link(buyer=buyer, link_id=link.pk, actor=actor(request))
    return redirect("portal:claim-links", link.ticket_id)


@portal_login_required
def address_book(request):
    """Search-as-you-type over every guest this buyer has named (htmx partial, or a plain page)."""
    buyer = portal_scope(request)
    query = request.GET.get("q", "").strip()
    entries = addressbook.search(buyer, query) if query else addressbook.entries(buyer)[:50]
    # With ?booking=<id> each match gets an "Add" button that puts them on that booking's list.
    booking = queries.booking(buyer, request.GET["booking"]) if request.GET.get("booking") else None
    template = "portal/claim/address_book.html#matches" if request.htmx else "portal/claim/address_book.html"
    return render(request, template, {"contact": signed_in_contact(request), "entries": entries, "query": query,
                                      "booking": booking, "nav": "bookings"})
