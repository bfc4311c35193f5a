"""Lane 07 console pages. The dashboard is every role's landing page."""

from django.shortcuts import render

from eventchain.models import OutboxMessage
from eventchain.roles import capability_required

from . import queries


@capability_required("view_console")
def dashboard(request):
    states = queries.bookings_by_status()
    total = sum(state["count"] for state in states)
    biggest = max((state["count"] for state in states), default=0) or 1
    for state in states:
        state["share"] = round(100 * state["count"] / biggest)
    attention = OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.FAILED, OutboxMessage.Status.DEAD]
    ).count()
    return render(
        request,
        "reporting/dashboard.html",
        {"states": states, "total": total, "outbox_attention": attention, "section": "dashboard"},
    )
