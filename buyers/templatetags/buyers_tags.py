"""Small display helpers for lane 02 pages: badge colours and money."""


from django import template

from eventchain.money import display

register = template.Library()

BOOKING_BADGES = {
    "draft": "", "confirmed": "info", "allocated": "ok", "invoiced": "ok", "released": "ok", "issued": "ok",
    "distributed": "ok", "closed": "", "cancelled": "bad",
}
HANDOFF_BADGES = {
    "received": "", "created": "ok", "duplicate": "info", "conflict": "warn", "invalid": "warn",
    "unauthorized": "bad", "failed": "bad",
}
BUYER_BADGES = {"active": "ok", "on_hold": "warn", "archived": ""}


@register.filter
def booking_badge(status: str) -> str:
    return BOOKING_BADGES.get(status, "")


@register.filter
def handoff_badge(outcome: str) -> str:
    return HANDOFF_BADGES.get(outcome, "")


@register.filter
def buyer_badge(status: str) -> str:
    return BUYER_BADGES.get(status, "")


@register.filter
def money(amount) -> str:
    return display(amount)
