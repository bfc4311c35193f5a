"""The half-finished sign-in between the password step and the code step.

The session holds a signed marker naming the user and the next step; nobody is logged in until the code
step passes, and the marker is worthless after PENDING_MAX_AGE seconds.
"""

from django.contrib.auth import get_user_model
from django.core import signing

SESSION_KEY = "eventchain_pending_signin"
SALT = "eventchain.signin.pending"
PENDING_MAX_AGE = 300
VERIFY, ENROL = "verify", "enrol"


def start(request, user, *, stage: str, next_url: str) -> None:
    request.session[SESSION_KEY] = signing.dumps(
        {"uid": user.pk, "stage": stage, "next": next_url, "backend": user.backend}, salt=SALT)


def load(request, stage: str):
    """(user, marker) for a live marker at `stage`, else (None, None); an expired marker is dropped."""
    raw = request.session.get(SESSION_KEY)
    if not raw:
        return None, None
    try:
        marker = signing.loads(raw, salt=SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        clear(request)
        return None, None
    if marker.get("stage") != stage:
        return None, None
    user = get_user_model().objects.filter(pk=marker["uid"], is_active=True).first()
    if user is None:
        clear(request)
        return None, None
    user.backend = marker["backend"]
    return user, marker


def clear(request) -> None:
    request.session.pop(SESSION_KEY, None)
