"""The real URLs plus a page that fails (500) and one that prints its nonce, for the security header tests."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from eventchain.urls import urlpatterns as real_urlpatterns


def broken(request):
    raise RuntimeError("a deliberate failure so the 500 page can be inspected")


def nonce_page(request):
    template = engines["django"].from_string('<script nonce="{{ csp_nonce }}" src="/static/js/console.js"></script>')
    return HttpResponse(template.render({}, request))


def svg_file(request):
    return HttpResponse("<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/svg+xml")


urlpatterns = [
    path("test-only/broken/", broken),
    path("test-only/nonce/", nonce_page),
    path("test-only/logo.svg", svg_file),
    *real_urlpatterns,
]
