from django.urls import path

from . import views
from .gate import views as gate_views
from .privacy import views as privacy_views

app_name = "reporting"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/<str:code>/report/", views.event_report, name="event-report"),
    path("bookings/<int:booking_id>/report/", views.booking_report, name="booking-report"),
    path("buyers/<int:buyer_id>/", views.buyer_profile, name="buyer-profile"),
    path("next-cycle/", views.next_cycle, name="next-cycle"),
    path("events/<str:code>/gate/", gate_views.event_gate, name="gate"),
    path("events/<str:code>/gate/devices/", gate_views.device_create, name="device-create"),
    path("events/<str:code>/gate/devices/<int:device_id>/revoke/", gate_views.device_revoke, name="device-revoke"),
    path("events/<str:code>/gate/settings/", gate_views.settings_save, name="gate-settings"),
    path("events/<str:code>/gate/imports/", gate_views.import_upload, name="import-upload"),
    path("events/<str:code>/gate/imports/<int:import_id>/", gate_views.import_detail, name="import"),
    path("events/<str:code>/gate/close/", gate_views.close, name="close"),
    path("events/<str:code>/desk/", gate_views.desk, name="desk"),
    path("privacy/", privacy_views.privacy_home, name="privacy"),
    path("privacy/export/", privacy_views.privacy_export, name="privacy-export"),
    path("privacy/erase/", privacy_views.privacy_erase, name="privacy-erase"),
    path("privacy/retention/", privacy_views.retention_page, name="retention"),
    path("privacy/retention/run/", privacy_views.retention_run, name="retention-run"),
    path("privacy/retention/<str:code>/", privacy_views.retention_policy, name="retention-policy"),
]
