"""Staff console navigation: one entry per lane, shown only to roles that can use it."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .roles import has_capability


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str
    section: str


NAVIGATION = [
    NavItem("Dashboard", "dashboard", "view_console", "dashboard"),
    NavItem("Buyers", "buyers:list", "view_buyers", "buyers"),
    NavItem("Allocation", "allocation:queue", "allocate_stock", "allocation"),
    NavItem("Finance", "finance:invoices", "manage_invoices", "finance"),
    NavItem("Tickets", "tickets:home", "issue_tickets", "tickets"),
    NavItem("Distribution", "distribution:home", "distribute_tickets", "distribution"),
    NavItem("Reporting", "reporting:home", "view_reports", "reporting"),
    NavItem("Review", "review-queue", "review_flags", "review"),
    NavItem("Admin", "console-admin", "view_audit", "admin"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for item in NAVIGATION:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # the lane has no console yet
            continue
        if has_capability(user, item.capability):
            items.append({"label": item.label, "url": url, "section": item.section})
    return {"nav_items": items}
