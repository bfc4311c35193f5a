from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.home, name="home"),
    path("bookings/<int:booking_id>/", views.booking, name="booking"),
    path("bookings/<int:booking_id>/guests/", views.guests, name="guests"),
    path("bookings/<int:booking_id>/issue/", views.issue, name="issue"),
    path("bookings/<int:booking_id>/tickets.pdf", views.booking_pdf, name="booking-pdf"),
    path("tickets/<int:ticket_id>/assign/", views.assign, name="assign"),
    path("tickets/<int:ticket_id>/<str:action>/", views.ticket_action, name="ticket-action"),
    path("tickets/<int:ticket_id>/pdf", views.ticket_pdf, name="ticket-pdf"),
    path("tickets/<int:ticket_id>/pkpass", views.ticket_pkpass, name="ticket-pkpass"),
    path("designs/", views.designs, name="designs"),
    path("designs/<str:code>/", views.design, name="design"),
    path("designs/<str:code>/preview/", views.design_preview, name="design-preview"),
    path("designs/<str:code>/rotate-key/", views.rotate_key, name="rotate-key"),
]
