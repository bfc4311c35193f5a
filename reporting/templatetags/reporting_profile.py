"""`{% load reporting_profile %}{% booking_lanes buyer %}`: the buyer profile's per-booking status, inline.

For pages of earlier lanes (the buyer detail page) that must not import reporting: a template tag is
loaded by name, so the page shows what reporting keeps without a Python dependency on it.
"""

from django import template

from ..views import profile_context

register = template.Library()


@register.inclusion_tag("reporting/_buyer_profile.html")
def booking_lanes(buyer):
    return profile_context(buyer)
