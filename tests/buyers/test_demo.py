"""seed_demo adds three buyers in different states, through the real services and webhook; twice is once."""

from django.core.management import call_command

from buyers.models import Booking, Buyer, CrmHandoff
from buyers.rules import abn_is_valid


def test_seed_demo_adds_three_buyers_in_different_states_and_is_idempotent(db):
    call_command("seed_demo")
    counts = (Buyer.objects.count(), Booking.objects.count(), CrmHandoff.objects.count())
    call_command("seed_demo")
    assert (Buyer.objects.count(), Booking.objects.count(), CrmHandoff.objects.count()) == counts == (3, 3, 2)

    agents = {b.name: (b.sales_agent.email if b.sales_agent else None) for b in Buyer.objects.all()}
    assert agents == {"Harbour Bank": "sales1@example.com", "Quay Capital Partners": "sales2@example.com",
                      "Ironbark Mining Ltd": None}
    statuses = {b.buyer.name: b.status for b in Booking.objects.select_related("buyer")}
    # Harbour Bank's booking is then walked on through every lane by tickets/demo_journey.py.
    assert statuses == {"Harbour Bank": "issued", "Quay Capital Partners": "draft",
                        "Ironbark Mining Ltd": "confirmed"}
    from_crm = Buyer.objects.get(crm_account_id="ACC-31")
    assert from_crm.unmatched_agent_email == "jordan.lee@example.com"
    assert from_crm.bookings.get().crm_deal_id == "CRM-DEAL-0931"
    assert CrmHandoff.objects.get(deal_id="CRM-DEAL-0977").outcome == CrmHandoff.Outcome.INVALID
    for buyer in Buyer.objects.prefetch_related("billing_entities", "contacts"):
        assert all(abn_is_valid(e.tax_number) for e in buyer.billing_entities.all())
        assert [c.is_primary for c in buyer.contacts.all()].count(True) == 1
