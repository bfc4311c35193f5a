"""The booking lifecycle every lane moves a booking through (see DESIGN.md)."""

from django.db import models


class BookingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONFIRMED = "confirmed", "Confirmed"
    ALLOCATED = "allocated", "Allocated"
    INVOICED = "invoiced", "Invoiced"
    RELEASED = "released", "Released for ticketing"
    ISSUED = "issued", "Tickets issued"
    DISTRIBUTED = "distributed", "Distributed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# The order a booking normally travels; cancelled is reachable from any state before closed.
FLOW = [
    BookingStatus.DRAFT,
    BookingStatus.CONFIRMED,
    BookingStatus.ALLOCATED,
    BookingStatus.INVOICED,
    BookingStatus.RELEASED,
    BookingStatus.ISSUED,
    BookingStatus.DISTRIBUTED,
    BookingStatus.CLOSED,
]
