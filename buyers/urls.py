from django.urls import path

from . import views

app_name = "buyers"

urlpatterns = [
    path("", views.buyer_list, name="list"),
    path("new/", views.buyer_new, name="buyer-new"),
    path("assignment/", views.assignment_queue, name="assignment"),
    path("ready/", views.ready_queue, name="ready"),
    path("<int:pk>/", views.buyer_detail, name="detail"),
    path("<int:pk>/edit/", views.buyer_edit, name="buyer-edit"),
    path("<int:pk>/assign/", views.buyer_assign, name="assign"),
    path("<int:buyer_pk>/contacts/new/", views.contact_edit, name="contact-new"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/remove/", views.contact_remove, name="contact-remove"),
    path("<int:buyer_pk>/billing/new/", views.billing_entity_edit, name="billing-new"),
    path("billing/<int:pk>/edit/", views.billing_entity_edit, name="billing-edit"),
    path("<int:buyer_pk>/bookings/new/", views.booking_edit, name="booking-new"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking"),
    path("bookings/<int:pk>/edit/", views.booking_edit, name="booking-edit"),
    path("bookings/<int:pk>/lock/", views.booking_lock, name="booking-lock"),
    path("bookings/<int:pk>/amend/", views.booking_amend, name="booking-amend"),
    path("bookings/<int:pk>/terms/", views.booking_terms, name="booking-terms"),
    path("bookings/<int:pk>/ready/", views.booking_ready, name="booking-ready"),
    path("handoffs/", views.handoff_list, name="handoffs"),
    path("handoffs/<int:pk>/", views.handoff_detail, name="handoff"),
    path("handoffs/<int:pk>/replay/", views.handoff_replay, name="handoff-replay"),
]
