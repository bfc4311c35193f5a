from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("", views.catalogue_home, name="home"),
    path("venues/new/", views.venue_edit, name="venue-new"),
    path("venues/<int:pk>/", views.venue_edit, name="venue-edit"),
    path("events/new/", views.event_edit, name="event-new"),
    path("events/<str:code>/", views.event_detail, name="event-detail"),
    path("events/<str:code>/edit/", views.event_edit, name="event-edit"),
    path("packages/new/", views.package_edit, name="package-new"),
    path("packages/<int:pk>/", views.package_edit, name="package-edit"),
]
