"""Lists answer `{"results": [...], "next": "<url or null>"}`, paged by `limit` and `offset`."""

from collections.abc import Callable, Iterable

from django.http import HttpRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _int_param(request: HttpRequest, name: str, default: int) -> int:
    try:
        return max(int(request.GET.get(name, default)), 0)
    except (TypeError, ValueError):
        return default


def paginate(request: HttpRequest, queryset, serialize: Callable[[object], dict]) -> dict:
    limit = min(_int_param(request, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
    offset = _int_param(request, "offset", 0)
    window: Iterable = list(queryset[offset : offset + limit + 1])
    has_more = len(window) > limit
    results = [serialize(item) for item in window[:limit]]
    next_url = None
    if has_more:
        query = request.GET.copy()
        query["offset"] = str(offset + limit)
        query["limit"] = str(limit)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"results": results, "next": next_url}
