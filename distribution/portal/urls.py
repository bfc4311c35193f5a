"""Buyer portal routes, mounted at /portal/ (app namespace "portal")."""

from django.urls import path

from ..guestlists import views as guestlists
from .views import auth, bookings, consent, guests, invoices, tickets, tracking

app_name = "portal"

urlpatterns = [
    path("", bookings.home, name="home"),
    path("sign-in/", auth.login, name="login"),
    path("sign-in/<str:token>/", auth.link, name="link"),
    path("sign-out/", auth.logout, name="logout"),
    path("bookings/<int:booking_id>/", bookings.booking, name="booking"),
    path("bookings/<int:booking_id>/send/", bookings.send, name="send"),
    path("bookings/<int:booking_id>/jobs/<uuid:job_id>/", bookings.job_progress, name="job-progress"),
    path("bookings/<int:booking_id>/tickets.pdf", bookings.booking_pdf, name="booking-pdf"),
    path("bookings/<int:booking_id>/guests/add/", guests.add, name="guest-add"),
    path("bookings/<int:booking_id>/guests/upload/", guests.upload, name="guest-upload"),
    path("bookings/<int:booking_id>/guests/template.csv", guests.template, name="guest-template"),
    path("bookings/<int:booking_id>/guests/<int:guest_id>/edit/", guests.edit, name="guest-edit"),
    path("bookings/<int:booking_id>/guests/<int:guest_id>/", guests.row, name="guest-row"),
    path("tickets/<int:ticket_id>/", tickets.detail, name="ticket"),
    path("tickets/<int:ticket_id>/assign/", tickets.assign, name="ticket-assign"),
    path("tickets/<int:ticket_id>/resend/", tickets.resend, name="ticket-resend"),
    path("tickets/<int:ticket_id>/files/<str:kind>/", tickets.download, name="ticket-file"),
    path("tickets/<int:ticket_id>/claim-links/", guestlists.ticket_links, name="claim-links"),
    path("tickets/<int:ticket_id>/<str:verb>/", tickets.action, name="ticket-action"),
    path("claim-links/<int:link_id>/revoke/", guestlists.revoke_link, name="claim-link-revoke"),
    path("address-book/", guestlists.address_book, name="address-book"),
    path("claim/<str:token>/", guestlists.claim, name="claim"),
    path("invoices/", invoices.invoices, name="invoices"),
    path("preferences/", consent.consent, name="consent"),
    path("invoices/<int:invoice_id>/pdf/", invoices.invoice_pdf, name="invoice-pdf"),
    # Links in emails: no sign-in, the signed token is the permission.
    path("o/<str:token>.gif", tracking.open_pixel, name="open-pixel"),
    path("f/<str:token>/", tracking.tracked_file, name="tracked-file"),
    path("wallet/google/callback/", tracking.google_wallet_callback, name="google-wallet-callback"),
]
