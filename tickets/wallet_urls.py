"""Apple Wallet web service routes, mounted at /wallet/ (the passes' webServiceURL)."""

from django.urls import path

from . import wallet_views

app_name = "wallet"

urlpatterns = [
    path("v1/devices/<str:device>/registrations/<str:pass_type>/<str:serial>", wallet_views.registration,
         name="registration"),
    path("v1/devices/<str:device>/registrations/<str:pass_type>", wallet_views.updated_serials, name="updated"),
    path("v1/passes/<str:pass_type>/<str:serial>", wallet_views.latest_pass, name="pass"),
    path("v1/log", wallet_views.device_log, name="log"),
]
