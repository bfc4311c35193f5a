"""Buyer, contact, billing entity and booking services: rules, refusals and audit entries."""

from datetime import date
from decimal import Decimal

import pytest

from buyers import rules, services
from buyers.models import Booking, Contact
from buyers.signals import booking_status_changed
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry


def _fields(exc) -> dict:
    return {e["field"]: e["message"] for e in exc.value.errors}


class TestBuyersAndContacts:
    def test_first_contact_is_primary_and_a_new_primary_demotes_the_old(self, make_staff):
        actor = make_staff("sales")
        buyer = services.create_buyer(actor=actor, name="Harbour Bank")
        first = services.add_contact(actor=actor, buyer_id=buyer.pk, name="Ann", email="Ann@Bank.example")
        assert first.is_primary and first.email == "ann@bank.example"
        second = services.add_contact(actor=actor, buyer_id=buyer.pk, name="Bo", email="bo@bank.example",
                                      is_primary=True)
        assert second.is_primary
        assert list(Contact.objects.filter(buyer=buyer, is_primary=True)) == [second]
        services.update_contact(actor=actor, contact_id=first.pk, is_primary=True)
        assert list(Contact.objects.filter(buyer=buyer, is_primary=True).values_list("pk", flat=True)) == [first.pk]

    def test_primary_cannot_be_unset_or_removed_while_others_exist(self, make_staff):
        actor = make_staff("sales")
        buyer = services.create_buyer(actor=actor, name="Harbour Bank")
        primary = services.add_contact(actor=actor, buyer_id=buyer.pk, name="Ann", email="ann@bank.example")
        services.add_contact(actor=actor, buyer_id=buyer.pk, name="Bo", email="bo@bank.example")
        with pytest.raises(ValidationFailed) as exc:
            services.update_contact(actor=actor, contact_id=primary.pk, is_primary=False)
        assert exc.value.field == "is_primary"
        with pytest.raises(StateConflict, match="primary"):
            services.remove_contact(actor=actor, contact_id=primary.pk)

    def test_duplicate_contact_email_and_crm_account_are_refused(self, make_staff):
        actor = make_staff("sales")
        buyer = services.create_buyer(actor=actor, name="Harbour Bank", crm_account_id="ACC-1")
        services.add_contact(actor=actor, buyer_id=buyer.pk, name="Ann", email="ann@bank.example")
        with pytest.raises(ValidationFailed) as exc:
            services.add_contact(actor=actor, buyer_id=buyer.pk, name="Ann 2", email="ANN@bank.example")
        assert exc.value.field == "email"
        with pytest.raises(ValidationFailed) as exc:
            services.create_buyer(actor=actor, name="Other", crm_account_id="ACC-1")
        assert exc.value.field == "crm_account_id"

    def test_only_sales_agents_own_buyers_and_assignment_is_audited(self, make_staff):
        admin, agent, finance = make_staff("admin"), make_staff("sales"), make_staff("finance")
        buyer = services.create_buyer(actor=admin, name="Harbour Bank", unmatched_agent_email="gone@example.com")
        with pytest.raises(ValidationFailed) as exc:
            services.assign_agent(actor=admin, buyer_id=buyer.pk, agent=finance)
        assert exc.value.field == "sales_agent"
        buyer = services.assign_agent(actor=admin, buyer_id=buyer.pk, agent=agent)
        assert buyer.sales_agent == agent and buyer.unmatched_agent_email == ""
        entry = AuditEntry.objects.get(action="buyer.agent_assigned")
        assert entry.actor == admin and entry.data["crm_agent_email"] == "gone@example.com"


class TestBillingEntity:
    def _add(self, actor, buyer, **overrides):
        fields = {"legal_name": "Harbour Bank Ltd", "tax_number": "51824753556", "email": "ap@bank.example",
                  "address_line1": "1 Bank St", "city": "Sydney", "postcode": "2000", "country": "AU"}
        return services.add_billing_entity(actor=actor, buyer_id=buyer.pk, **{**fields, **overrides})

    def test_abn_is_checked_for_australia_and_stored_formatted(self, make_staff):
        actor = make_staff("sales")
        buyer = services.create_buyer(actor=actor, name="Harbour Bank")
        with pytest.raises(ValidationFailed) as exc:
            self._add(actor, buyer, tax_number="51 824 753 557")
        assert exc.value.field == "tax_number" and "ABN" in exc.value.message
        assert self._add(actor, buyer).tax_number == "51 824 753 556"
        overseas = self._add(actor, buyer, legal_name="Harbour Bank NZ", tax_number="123-456-789", country="nz")
        assert overseas.country == "NZ" and overseas.tax_number == "123-456-789"

    def test_invalid_email_names_the_field(self, make_staff):
        actor = make_staff("sales")
        buyer = services.create_buyer(actor=actor, name="Harbour Bank")
        with pytest.raises(ValidationFailed) as exc:
            self._add(actor, buyer, email="accounts")
        assert "email" in _fields(exc)


class TestBookingLifecycle:
    def test_value_is_unit_price_times_units_needed(self, buyer_setup):
        _, _, booking = buyer_setup()
        assert booking.units_needed == 3  # 25 guests at tables of 10
        assert booking.value == Decimal("28500.00")

    def test_ready_for_allocation_names_each_missing_item(self, buyer_setup):
        actor, _, booking = buyer_setup(complete=False)
        with pytest.raises(ValidationFailed) as exc:
            services.mark_ready_for_allocation(actor=actor, booking_id=booking.pk)
        fields = _fields(exc)
        assert set(fields) == {"contacts", "billing_entity", "details", "installments"}
        assert "primary contact" in exc.value.message and "deposit terms" in exc.value.message
        booking.refresh_from_db()
        assert booking.status == BookingStatus.DRAFT

    def test_incomplete_billing_entity_is_named(self, buyer_setup):
        actor, buyer, booking = buyer_setup()
        entity = booking.billing_entity
        type(entity).objects.filter(pk=entity.pk).update(tax_number="", postcode="")
        with pytest.raises(ValidationFailed) as exc:
            services.mark_ready_for_allocation(actor=actor, booking_id=booking.pk)
        assert _fields(exc) == {"billing_entity": "billing entity Harbour Bank Ltd is incomplete: add postcode, "
                                                  "a valid ABN"}

    def test_complete_booking_moves_to_confirmed_and_stamps_the_change(self, buyer_setup):
        actor, _, booking = buyer_setup()
        before = booking.status_changed_at
        seen = []

        def receiver(sender, booking, from_status, to_status, actor, **kwargs):
            seen.append((from_status, to_status))

        booking_status_changed.connect(receiver)
        try:
            booking = services.mark_ready_for_allocation(actor=actor, booking_id=booking.pk)
        finally:
            booking_status_changed.disconnect(receiver)
        assert booking.status == BookingStatus.CONFIRMED and booking.status_changed_at > before
        assert seen == [("draft", "confirmed")]
        assert AuditEntry.objects.filter(action="booking.confirmed", object_id=str(booking.pk)).exists()
        with pytest.raises(StateConflict, match="already confirmed"):
            services.mark_ready_for_allocation(actor=actor, booking_id=booking.pk)

    def test_locked_details_change_only_through_an_audited_amendment(self, buyer_setup, catalogue):
        actor, _, booking = buyer_setup()
        with pytest.raises(StateConflict, match="locked"):
            services.update_booking(actor=actor, booking_id=booking.pk, headcount=30)
        with pytest.raises(ValidationFailed) as exc:
            services.amend_booking(actor=actor, booking_id=booking.pk, reason=" ", headcount=30)
        assert exc.value.field == "reason"
        booking = services.amend_booking(actor=actor, booking_id=booking.pk, reason="Two more guests", headcount=30)
        assert booking.headcount == 30 and booking.units_needed == 3
        entry = AuditEntry.objects.get(action="booking.amended")
        assert entry.summary.endswith("Two more guests")
        assert entry.data["changes"] == {"headcount": {"from": 25, "to": 30}}
        assert entry.actor == actor

    def test_amending_to_another_event_keeps_the_package_code(self, buyer_setup, catalogue):
        actor, _, booking = buyer_setup()
        booking = services.amend_booking(actor=actor, booking_id=booking.pk, reason="Moved to the semi",
                                         event=catalogue["SF2026"])
        assert booking.event.code == "SF2026" and booking.package.event == catalogue["SF2026"]
        assert booking.package.code == "TABLE-10"

    def test_amendment_is_refused_once_stock_is_allocated_and_allowed_after_release(self, buyer_setup):
        actor, _, booking = buyer_setup()
        services.mark_ready_for_allocation(actor=actor, booking_id=booking.pk)
        services.transition(booking_id=booking.pk, to_status=BookingStatus.ALLOCATED, actor="allocation")
        with pytest.raises(StateConflict, match="Release the allocation"):
            services.amend_booking(actor=actor, booking_id=booking.pk, reason="More guests", headcount=40)
        with pytest.raises(StateConflict):
            services.set_deposit_terms(actor=actor, booking_id=booking.pk, installments=[
                rules.installment("All", date(2026, 12, 1), percent="100")])
        services.transition(booking_id=booking.pk, to_status=BookingStatus.CONFIRMED, actor="allocation",
                            summary="Allocation released")
        assert services.amend_booking(actor=actor, booking_id=booking.pk, reason="More guests",
                                      headcount=40).headcount == 40

    def test_fixed_amount_terms_must_be_redone_before_a_value_change(self, buyer_setup):
        actor, _, booking = buyer_setup()
        services.set_deposit_terms(actor=actor, booking_id=booking.pk, installments=[
            rules.installment("Deposit", date(2026, 12, 1), amount="8500.00"),
            rules.installment("Balance", date(2027, 1, 1), amount="20000.00")])
        with pytest.raises(ValidationFailed) as exc:
            services.amend_booking(actor=actor, booking_id=booking.pk, reason="Bigger", headcount=35)
        assert exc.value.field == "installments" and "percentages" in exc.value.message

    def test_deposit_terms_record_po_and_replace_the_schedule(self, buyer_setup):
        actor, _, booking = buyer_setup()
        services.set_deposit_terms(actor=actor, booking_id=booking.pk, po_number="PO-77", release_on_deposit=True,
                                   installments=[rules.installment("Full", date(2026, 12, 1), percent="100")])
        booking.refresh_from_db()
        assert booking.po_number == "PO-77" and booking.release_on_deposit
        assert [i.label for i in booking.installments.all()] == ["Full"]
        with pytest.raises(ValidationFailed) as exc:
            services.set_deposit_terms(actor=actor, booking_id=booking.pk, installments=[
                rules.installment("Deposit", date(2026, 12, 1), percent="40")])
        assert _fields(exc) == {"installments": "percentages total 40%, not 100%"}
        assert [i.label for i in booking.installments.all()] == ["Full"]  # nothing half-written
        assert AuditEntry.objects.filter(action="booking.deposit_terms_set", object_id=str(booking.pk)).count() == 2

    def test_package_must_belong_to_the_event(self, buyer_setup, catalogue):
        actor, buyer, _ = buyer_setup(complete=False)
        with pytest.raises(ValidationFailed) as exc:
            services.create_booking(actor=actor, buyer_id=buyer.pk, event=catalogue["GF2026"],
                                    package=catalogue["SF2026"].packages.get(code="BOX-8"), headcount=8)
        assert "not sold for GF2026" in _fields(exc)["package"]


class TestTransition:
    def test_disallowed_moves_are_refused_with_the_allowed_ones(self, buyer_setup):
        _, _, booking = buyer_setup()
        with pytest.raises(StateConflict) as exc:
            services.transition(booking_id=booking.pk, to_status=BookingStatus.INVOICED, actor=None)
        assert "is draft" in exc.value.message and "Allowed next: confirmed, cancelled" in exc.value.message
        with pytest.raises(StateConflict, match="not a booking status"):
            services.transition(booking_id=booking.pk, to_status="shipped", actor=None)

    def test_cancelled_is_final_and_every_move_is_audited(self, buyer_setup):
        _, _, booking = buyer_setup()
        services.transition(booking_id=booking.pk, to_status=BookingStatus.CANCELLED, actor="system",
                            summary="Buyer withdrew", data={"reason": "budget"})
        entry = AuditEntry.objects.get(action="booking.cancelled")
        assert entry.summary == "Buyer withdrew" and entry.data == {"from": "draft", "to": "cancelled",
                                                                    "reason": "budget"}
        with pytest.raises(StateConflict, match="final"):
            services.transition(booking_id=booking.pk, to_status=BookingStatus.CONFIRMED, actor=None)
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
