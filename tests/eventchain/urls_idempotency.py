"""A counting endpoint under /api/v1/ so the Idempotency-Key middleware can be observed on its own."""

from django.http import JsonResponse
from django.urls import path

COUNTER = {"n": 0}


def echo(request):
    COUNTER["n"] += 1
    return JsonResponse({"call": COUNTER["n"]}, status=201)


urlpatterns = [path("api/v1/echo", echo)]
