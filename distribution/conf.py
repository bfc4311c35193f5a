"""Lane 06 settings with their defaults; each can be overridden in Django settings or the environment."""

import os

from django.conf import settings

DEFAULTS = {
    # Attachments larger than this in total go out as a portal link instead (bytes).
    "EVENTCHAIN_EMAIL_ATTACHMENT_LIMIT": 10 * 1024 * 1024,
    "EVENTCHAIN_SUPPORT_EMAIL": "support@eventchain.local",
    "EVENTCHAIN_SUPPORT_PHONE": "",
    "EVENTCHAIN_PORTAL_LINK_MINUTES": 15,
    # Sign-in link requests: per email address and per client IP, each within a window of seconds.
    "EVENTCHAIN_PORTAL_LINKS_PER_EMAIL": 5,
    "EVENTCHAIN_PORTAL_LINKS_PER_IP": 20,
    "EVENTCHAIN_PORTAL_LINK_WINDOW": 15 * 60,
    # Resends of one ticket (console and portal together) within a window of seconds.
    "EVENTCHAIN_RESENDS_PER_TICKET": 3,
    "EVENTCHAIN_RESEND_WINDOW": 60 * 60,
    # Tracked links in emails stop working after this many days.
    "EVENTCHAIN_TRACKED_LINK_DAYS": 400,
    # Per-seat claim links (guest lists): days valid; links made per booking and claim attempts per IP in a window.
    "EVENTCHAIN_CLAIM_LINK_DAYS": 14,
    "EVENTCHAIN_CLAIM_LINKS_PER_BOOKING": 60,
    "EVENTCHAIN_CLAIM_ATTEMPTS_PER_IP": 30,
    "EVENTCHAIN_CLAIM_WINDOW": 60 * 60,
}


def get(name: str):
    if hasattr(settings, name):
        return getattr(settings, name)
    default = DEFAULTS[name]
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return type(default)(raw)
