"""Display helpers for finance pages: money, status and sync badges."""

from decimal import Decimal

from django import template

from eventchain.money import display

register = template.Library()

INVOICE_BADGES = {"draft": "info", "posted": "", "partially_paid": "warn", "paid": "ok", "void": "bad"}
SYNC_BADGES = {"pending": "pending", "synced": "synced", "failed": "failed", "dead": "dead"}
QUEUE_BADGES = {"unmatched": "warn", "overpayment": "warn", "refund_due": "bad", "discrepancy": "bad"}


@register.filter
def money(amount) -> str:
    return display(amount)


@register.filter
def invoice_badge(status: str) -> str:
    return INVOICE_BADGES.get(status, "")


@register.filter
def sync_badge(state: str) -> str:
    return SYNC_BADGES.get(state, "")


@register.filter
def queue_badge(reason: str) -> str:
    return QUEUE_BADGES.get(reason, "")


@register.filter
def percent(rate) -> str:
    """0.1000 → '10%'."""
    return f"{(Decimal(rate) * 100).normalize():f}%"
