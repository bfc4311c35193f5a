from django.urls import path

from . import views

app_name = "allocation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("allocate/", views.manual, name="manual"),
    path("uploads/", views.upload, name="upload"),
    path("uploads/<int:upload_id>/", views.upload_detail, name="upload-detail"),
    path("bookings/<int:booking_id>/", views.booking, name="booking"),
    path("bookings/<int:booking_id>/allocate/", views.booking_allocate, name="booking-allocate"),
    path("bookings/<int:booking_id>/confirm/", views.booking_confirm, name="booking-confirm"),
    path("bookings/<int:booking_id>/release/", views.booking_release, name="booking-release"),
    path("bookings/<int:booking_id>/comp/", views.booking_comp, name="booking-comp"),
    path("bookings/<int:booking_id>/amend/", views.booking_amend, name="booking-amend"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("bookings/<int:booking_id>/manifests/<int:version>/", views.manifest, name="manifest"),
    path("events/", views.events, name="events"),
    path("events/<str:code>/map/", views.inventory_map, name="map"),
    path("events/<str:code>/map/toggle/", views.map_toggle, name="map-toggle"),
    path("events/<str:code>/open-stock/", views.open_stock, name="open-stock"),
    path("events/<str:code>/rules/", views.rules, name="rules"),
    path("layouts/import/", views.layout_import, name="layout-import"),
]
