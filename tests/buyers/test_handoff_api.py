"""POST /api/v1/crm/handoff: signature, idempotency on deal_id, validation, agent matching."""

import json
import time

from buyers.models import Booking, Buyer, Contact, CrmHandoff
from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry

from .conftest import HANDOFF_URL, encode, signed, stale_timestamp


def _nothing_created():
    return not Buyer.objects.exists() and not Booking.objects.exists() and not Contact.objects.exists()


class TestSignature:
    def test_missing_signature_is_401_and_only_the_delivery_is_stored(self, client, catalogue, handoff_body):
        response = client.post(HANDOFF_URL, data=encode(handoff_body), content_type="application/json")
        assert response.status_code == 401
        assert "X-EventChain-Signature" in response.json()["errors"][0]["message"]
        assert _nothing_created()
        delivery = CrmHandoff.objects.get()
        assert delivery.outcome == CrmHandoff.Outcome.UNAUTHORIZED
        assert bytes(delivery.raw_body) == encode(handoff_body)
        assert delivery.deal_id == "CRM-DEAL-1042" and not delivery.signature_valid

    def test_a_failure_while_checking_the_signature_still_stores_the_delivery(
        self, deliver, catalogue, handoff_body, monkeypatch
    ):
        from buyers import webhook

        def broken(**kwargs):
            raise RuntimeError("hmac backend unavailable")

        monkeypatch.setattr(webhook, "verify", broken)
        response = deliver(handoff_body)
        assert response.status_code == 401
        assert "could not be checked (RuntimeError)" in response.json()["errors"][0]["message"]
        delivery = CrmHandoff.objects.get()
        assert delivery.outcome == CrmHandoff.Outcome.UNAUTHORIZED and not delivery.signature_valid
        assert bytes(delivery.raw_body) == encode(handoff_body) and _nothing_created()

    def test_wrong_secret_is_401(self, client, catalogue, handoff_body):
        headers = signed(handoff_body, secret="not-the-secret")
        response = client.post(HANDOFF_URL, data=encode(handoff_body), content_type="application/json", **headers)
        assert response.status_code == 401
        assert _nothing_created()
        assert CrmHandoff.objects.get().status_code == 401

    def test_body_changed_after_signing_is_401(self, client, catalogue, handoff_body):
        headers = signed(handoff_body)
        handoff_body["booking"]["headcount"] = 100
        response = client.post(HANDOFF_URL, data=encode(handoff_body), content_type="application/json", **headers)
        assert response.status_code == 401
        assert _nothing_created()

    def test_stale_timestamp_is_401(self, deliver, catalogue, handoff_body):
        response = deliver(handoff_body, timestamp=stale_timestamp())
        assert response.status_code == 401
        assert "300 s" in response.json()["errors"][0]["message"]
        assert _nothing_created()

    def test_timestamp_from_the_future_is_401(self, deliver, catalogue, handoff_body):
        assert deliver(handoff_body, timestamp=int(time.time()) + 400).status_code == 401
        assert _nothing_created()

    def test_no_bearer_token_is_needed(self, deliver, catalogue, handoff_body):
        assert deliver(handoff_body).status_code == 201


class TestAccepted:
    def test_complete_handoff_lands_confirmed_with_details_locked_and_terms_set(
        self, deliver, catalogue, handoff_body, sales_agent
    ):
        response = deliver(handoff_body)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "created"
        booking = Booking.objects.select_related("buyer", "billing_entity").get(pk=int(body["booking"]))
        assert str(booking.buyer_id) == body["buyer"]
        assert booking.status == BookingStatus.CONFIRMED and booking.details_locked
        assert booking.crm_deal_id == "CRM-DEAL-1042" and booking.po_number == "PO-5531"
        assert [(i.label, str(i.percent)) for i in booking.installments.all()] == [
            ("Deposit", "30.000"), ("Balance", "70.000")]
        assert booking.buyer.sales_agent == sales_agent and booking.buyer.crm_account_id == "ACC-77"
        assert booking.billing_entity.tax_number == "51 824 753 556"
        assert booking.buyer.contacts.get().is_primary
        delivery = CrmHandoff.objects.get()
        assert delivery.outcome == CrmHandoff.Outcome.CREATED and delivery.booking == booking
        assert AuditEntry.objects.filter(action="booking.confirmed", object_id=str(booking.pk)).exists()

    def test_unknown_agent_is_accepted_and_flagged(self, deliver, catalogue, handoff_body):
        handoff_body["agent"] = {"email": "new.hire@example.com", "name": "New Hire"}
        response = deliver(handoff_body)
        assert response.status_code == 201
        buyer = Buyer.objects.get()
        assert buyer.sales_agent is None and buyer.needs_agent_assignment
        assert (buyer.unmatched_agent_email, buyer.unmatched_agent_name) == ("new.hire@example.com", "New Hire")

    def test_existing_account_is_matched_and_contacts_upserted_by_email(
        self, deliver, catalogue, handoff_body, sales_agent
    ):
        assert deliver(handoff_body).status_code == 201
        second = json.loads(json.dumps(handoff_body))
        second["deal_id"] = "CRM-DEAL-2000"
        second["contacts"] = [
            {"name": "Pat Buyer-Jones", "email": "PAT@acme.example", "primary": False},
            {"name": "Lee Assistant", "email": "lee@acme.example", "primary": True},
        ]
        assert deliver(second).status_code == 201
        buyer = Buyer.objects.get()
        assert buyer.bookings.count() == 2 and buyer.billing_entities.count() == 1
        contacts = {c.email: c for c in buyer.contacts.all()}
        assert set(contacts) == {"pat@acme.example", "lee@acme.example"}
        assert contacts["pat@acme.example"].name == "Pat Buyer-Jones"
        assert contacts["lee@acme.example"].is_primary and not contacts["pat@acme.example"].is_primary


class TestIdempotency:
    def test_same_body_again_is_200_duplicate_with_the_same_ids(self, deliver, catalogue, handoff_body):
        first = deliver(handoff_body).json()
        again = deliver(handoff_body)
        assert again.status_code == 200
        assert again.json() == {"buyer": first["buyer"], "booking": first["booking"], "status": "duplicate"}
        assert Booking.objects.count() == 1
        assert CrmHandoff.objects.filter(outcome=CrmHandoff.Outcome.DUPLICATE).count() == 1

    def test_same_content_with_other_formatting_is_a_duplicate(self, deliver, catalogue, handoff_body):
        deliver(handoff_body)
        reformatted = json.dumps(handoff_body, indent=2, sort_keys=True).encode()
        assert deliver(reformatted).status_code == 200

    def test_same_deal_with_a_different_body_is_409(self, deliver, catalogue, handoff_body):
        deliver(handoff_body)
        handoff_body["booking"]["headcount"] = 20
        response = deliver(handoff_body)
        assert response.status_code == 409
        assert response.json()["errors"][0]["field"] == "deal_id"
        assert Booking.objects.get().headcount == 10
        assert CrmHandoff.objects.filter(outcome=CrmHandoff.Outcome.CONFLICT).count() == 1


class TestValidation:
    def _errors(self, response) -> dict:
        assert response.status_code == 422, response.content
        return {e["field"]: e["message"] for e in response.json()["errors"]}

    def test_unknown_event_code_names_the_field(self, deliver, catalogue, handoff_body):
        handoff_body["booking"]["event_code"] = "XX2099"
        errors = self._errors(deliver(handoff_body))
        assert "XX2099" in errors["booking.event_code"]
        assert _nothing_created()
        assert CrmHandoff.objects.get().outcome == CrmHandoff.Outcome.INVALID

    def test_unknown_package_code_names_the_field(self, deliver, catalogue, handoff_body):
        handoff_body["booking"]["package_code"] = "YACHT-4"
        assert "YACHT-4" in self._errors(deliver(handoff_body))["booking.package_code"]
        assert _nothing_created()

    def test_percentages_not_totalling_100(self, deliver, catalogue, handoff_body):
        handoff_body["booking"]["payment_schedule"][1]["percent"] = "60"
        errors = self._errors(deliver(handoff_body))
        assert errors["booking.payment_schedule"] == "percentages total 90%, not 100%"
        assert _nothing_created()

    def test_bad_email_and_missing_fields_name_their_paths(self, deliver, catalogue, handoff_body):
        handoff_body["contacts"][0]["email"] = "not-an-email"
        del handoff_body["booking"]["headcount"]
        handoff_body["billing_entity"]["tax_number"] = "51 824 753 557"
        errors = self._errors(deliver(handoff_body))
        assert "valid email" in errors["contacts.0.email"]
        assert errors["booking.headcount"] == "is required"
        # Shape errors come first; the ABN is checked once the shape is right.
        handoff_body["contacts"][0]["email"] = "pat@acme.example"
        handoff_body["booking"]["headcount"] = 10
        assert "not a valid ABN" in self._errors(deliver(handoff_body))["billing_entity.tax_number"]
        assert _nothing_created()

    def test_malformed_json_with_a_valid_signature_is_422(self, deliver, catalogue):
        errors = self._errors(deliver(b'{"deal_id": "CRM-1", '))
        assert "not valid JSON" in errors[None]
        assert CrmHandoff.objects.get().signature_valid

    def test_two_primary_contacts_are_refused(self, deliver, catalogue, handoff_body):
        handoff_body["contacts"].append({"name": "Lee", "email": "lee@acme.example", "primary": True})
        assert "exactly one" in self._errors(deliver(handoff_body))["contacts"]

    def test_amounts_must_total_the_booking_value(self, deliver, catalogue, handoff_body):
        handoff_body["booking"]["payment_schedule"] = [
            {"label": "Deposit", "due_date": "2026-12-01", "amount": "2000.00"},
            {"label": "Balance", "due_date": "2027-01-15", "amount": "7000.00"},
        ]
        assert "worth 9500.00" in self._errors(deliver(handoff_body))["booking.payment_schedule"]
        handoff_body["booking"]["payment_schedule"][1]["amount"] = "7500.00"
        assert deliver(handoff_body).status_code == 201


class TestCost:
    """The handoff is the CRM's hot path (50 a second in bench/load.py): its statements stay few and flat."""

    def test_a_new_account_takes_one_pass_of_statements(self, deliver, catalogue, handoff_body, sales_agent,
                                                        django_assert_max_num_queries):
        # Stored delivery, locks, catalogue, agent, account, contacts, billing entity, booking, terms, audit, outcome
        # (and the test's own savepoint); the six one-by-one services took 61. Contacts and audit entries are inserted
        # with one statement each, however many.
        handoff_body["contacts"] += [{"name": f"Extra {n}", "email": f"extra{n}@acme.example"} for n in range(5)]
        with django_assert_max_num_queries(23):
            assert deliver(handoff_body).status_code == 201
        booking = Booking.objects.get()
        assert booking.buyer.contacts.count() == 6
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        assert {"buyer.created", "contact.added", "billing_entity.added", "booking.created", "booking.details_locked",
                "booking.deposit_terms_set", "booking.confirmed", "crm_handoff.accepted"} <= actions
        assert AuditEntry.objects.filter(action="contact.added").count() == 6
