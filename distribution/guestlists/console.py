"""Staff console: bookings past their name deadline with names still missing, for the sales agents."""

from django.shortcuts import render

from eventchain.roles import capability_required

from . import reminders


@capability_required("view_buyers")
def follow_up(request):
    search = request.GET.get("q", "").strip().lower()
    rows = reminders.follow_up_queue()
    if search:
        rows = [row for row in rows if search in row["booking"].buyer.name.lower()
                or search in row["booking"].reference.lower() or search in row["booking"].event.name.lower()]
    return render(request, "distribution/guestlists/follow_up.html", {
        "section": "distribution", "rows": rows, "q": search,
    })
