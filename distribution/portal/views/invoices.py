"""The buyer's invoices (read from finance) with payment status, and their PDFs."""

from django.http import HttpResponse
from django.shortcuts import render

from finance import pdf

from .. import queries
from ..session import portal_login_required, portal_scope, signed_in_contact


@portal_login_required
def invoices(request):
    buyer = portal_scope(request)
    return render(request, "portal/invoices.html", {"contact": signed_in_contact(request),
                                                    "invoices": list(queries.invoices(buyer)), "nav": "invoices"})


@portal_login_required
def invoice_pdf(request, invoice_id):
    invoice = queries.invoice(portal_scope(request), invoice_id)
    response = HttpResponse(pdf.invoice_pdf(invoice, base_url=request.build_absolute_uri("/")),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
