"""The tax invoice as a PDF, rendered by WeasyPrint from finance/invoice_pdf.html."""

from django.template.loader import render_to_string
from weasyprint import HTML


def invoice_html(invoice) -> str:
    booking = invoice.booking
    return render_to_string("finance/invoice_pdf.html", {
        "invoice": invoice, "booking": booking, "event": booking.event,
        "lines": list(invoice.lines.all()), "installments": list(invoice.installments.all()),
        "credit_notes": list(invoice.credit_notes.all()),
    })


def invoice_pdf(invoice, *, base_url: str | None = None) -> bytes:
    return HTML(string=invoice_html(invoice), base_url=base_url).write_pdf()
