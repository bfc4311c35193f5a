"""Lane 06 console routes, mounted at /console/distribution/."""

from django.urls import path

from . import views
from .guestlists import console

app_name = "distribution"

urlpatterns = [
    path("", views.home, name="home"),
    path("bookings/<int:booking_id>/", views.booking, name="booking"),
    path("bookings/<int:booking_id>/send/", views.distribute, name="distribute"),
    path("messages/<int:message_id>/resend/", views.resend_message, name="resend-message"),
    path("tickets/<int:ticket_id>/", views.ticket, name="ticket"),
    path("tickets/<int:ticket_id>/resend/", views.resend_ticket, name="resend-ticket"),
    path("guest-names/", console.follow_up, name="guest-names"),
    path("events/<int:event_id>/messages/", console.event_messages, name="event-messages"),
    path("events/<int:event_id>/guest-names/", console.deadlines, name="name-deadlines"),
    path("events/<int:event_id>/messages/<str:kind>/", console.event_messages, name="event-message"),
]
