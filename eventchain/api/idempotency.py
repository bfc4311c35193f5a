"""`Idempotency-Key` on API POSTs: the same key and body get the first answer again; another body, 409."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse

from ..models import IdempotencyRecord

API_PREFIX = "/api/v1/"
HEADER = "HTTP_IDEMPOTENCY_KEY"


def _scope(request) -> str:
    credentials = request.META.get("HTTP_AUTHORIZATION", "") or request.META.get("HTTP_X_EVENTCHAIN_SIGNATURE", "")
    return hashlib.sha256(f"{credentials}|{request.path}".encode()).hexdigest()


def _conflict(message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"field": "Idempotency-Key", "message": message}]}, status=409)


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER, "").strip()
        if request.method != "POST" or not key or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if len(key) > 200:
            return JsonResponse(
                {"errors": [{"field": "Idempotency-Key", "message": "must be at most 200 characters"}]}, status=422
            )
        body_hash = hashlib.sha256(request.body).hexdigest()
        scope = _scope(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=scope, key=key, method=request.method, path=request.path, request_hash=body_hash
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(scope=scope, key=key)
            if existing.request_hash != body_hash:
                return _conflict("This Idempotency-Key was already used with a different request body.")
            if existing.status_code is None:
                return _conflict("A request with this Idempotency-Key is still being processed; retry shortly.")
            replay = HttpResponse(
                bytes(existing.response_body), status=existing.status_code, content_type=existing.content_type
            )
            replay["Idempotent-Replayed"] = "true"
            return replay

        response = self.get_response(request)
        if response.status_code >= 500 or response.status_code in (401, 429) or getattr(response, "streaming", False):
            # Nothing durable happened, or the caller must be allowed to try again with the same key.
            record.delete()
        else:
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "application/json")
            record.response_body = response.content
            record.save(update_fields=["status_code", "content_type", "response_body"])
        return response


def canonical_json_hash(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
