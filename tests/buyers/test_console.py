"""Staff console pages of lane 02: lists, detail, forms, queues, permissions and flat query counts."""

import pytest
from django.urls import reverse

from buyers import services
from buyers.models import Booking, Buyer, Contact, CrmHandoff
from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry, InventoryKind, Package


def _many_buyers(actor, count: int, agent=None):
    for n in range(count):
        buyer = services.create_buyer(actor=actor, name=f"Buyer {n:03d}", crm_account_id=f"ACC-{n}",
                                      sales_agent=agent)
        services.add_contact(actor=actor, buyer_id=buyer.pk, name=f"Contact {n}", email=f"c{n}@example.com")


class TestBuyerList:
    def test_sales_agents_see_their_own_buyers_by_default_and_can_see_all(self, client, make_staff):
        me, other = make_staff("sales"), make_staff("sales")
        services.create_buyer(actor=me, name="Mine Pty Ltd", sales_agent=me)
        services.create_buyer(actor=me, name="Theirs Pty Ltd", sales_agent=other)
        client.force_login(me)
        page = client.get(reverse("buyers:list")).content.decode()
        assert "Mine Pty Ltd" in page and "Theirs Pty Ltd" not in page
        page = client.get(reverse("buyers:list"), {"agent": "all"}).content.decode()
        assert "Mine Pty Ltd" in page and "Theirs Pty Ltd" in page
        page = client.get(reverse("buyers:list"), {"agent": other.pk}).content.decode()
        assert "Mine Pty Ltd" not in page and "Theirs Pty Ltd" in page

    def test_search_by_contact_email_crm_id_and_filter_by_status(self, staff_client, make_staff):
        actor = make_staff("admin")
        _many_buyers(actor, 3)
        services.update_buyer(actor=actor, buyer_id=Buyer.objects.get(name="Buyer 002").pk, status="on_hold")
        client = staff_client("admin")
        assert "Buyer 001" in client.get(reverse("buyers:list"), {"q": "c1@example.com"}).content.decode()
        by_crm = client.get(reverse("buyers:list"), {"q": "ACC-2"}).content.decode()
        assert "Buyer 002" in by_crm and "Buyer 001" not in by_crm
        on_hold = client.get(reverse("buyers:list"), {"status": "on_hold"}).content.decode()
        assert "Buyer 002" in on_hold and "Buyer 000" not in on_hold
        assert "No buyers match" in client.get(reverse("buyers:list"), {"q": "nobody"}).content.decode()

    def test_htmx_filter_answers_only_the_table(self, staff_client, make_staff):
        _many_buyers(make_staff("admin"), 1)
        response = staff_client("admin").get(reverse("buyers:list"), {"q": "Buyer"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="buyer-table"') and "<html" not in body

    @pytest.mark.parametrize("count", [3, 30])
    def test_list_query_count_is_flat(self, count, staff_client, make_staff, django_assert_max_num_queries):
        _many_buyers(make_staff("admin"), count)
        client = staff_client("admin")
        client.get(reverse("buyers:list"))  # warm the session and permission caches
        with django_assert_max_num_queries(10):
            response = client.get(reverse("buyers:list"), {"agent": "all"})
        assert response.status_code == 200
        assert response.content.decode().count('href="/console/buyers/') >= min(count, 25)


class TestBuyerDetail:
    def test_detail_shows_contacts_billing_bookings_and_activity(self, staff_client, buyer_setup):
        actor, buyer, booking = buyer_setup()
        services.amend_booking(actor=actor, booking_id=booking.pk, reason="Two extra guests", headcount=27)
        page = staff_client("reporting").get(buyer.get_absolute_url()).content.decode()
        for text in ("Pat Buyer", "Harbour Bank Ltd", "51 824 753 556", booking.reference, "Draft",
                     "Reason: Two extra guests", "added to Harbour Bank as primary", "Deposit terms of"):
            assert text in page, text

    def test_detail_query_count_is_flat(self, staff_client, buyer_setup, django_assert_max_num_queries, catalogue):
        actor, buyer, _ = buyer_setup()
        package = catalogue["SF2026"].packages.get(code="BOX-8")
        for _ in range(5):
            services.create_booking(actor=actor, buyer_id=buyer.pk, event=catalogue["SF2026"], package=package,
                                    headcount=8)
        client = staff_client("admin")
        client.get(buyer.get_absolute_url())
        with django_assert_max_num_queries(12):  # the page includes the lanes panel from reporting
            assert client.get(buyer.get_absolute_url()).status_code == 200

    def test_unknown_buyer_is_404(self, staff_client, db):
        assert staff_client("admin").get(reverse("buyers:detail", args=[999999])).status_code == 404


class TestPermissions:
    def test_reporting_can_view_but_not_edit(self, staff_client, buyer_setup):
        _, buyer, booking = buyer_setup()
        client = staff_client("reporting")
        assert client.get(reverse("buyers:list")).status_code == 200
        assert client.get(booking.get_absolute_url()).status_code == 200
        assert "New booking" not in client.get(buyer.get_absolute_url()).content.decode()
        for url in (reverse("buyers:buyer-new"), reverse("buyers:buyer-edit", args=[buyer.pk]),
                    reverse("buyers:contact-new", args=[buyer.pk]), reverse("buyers:booking-terms", args=[booking.pk])):
            assert client.get(url).status_code == 403, url
        assert client.post(reverse("buyers:booking-ready", args=[booking.pk])).status_code == 403
        assert client.post(reverse("buyers:buyer-edit", args=[buyer.pk]), {"name": "Hacked"}).status_code == 403
        assert Buyer.objects.get(pk=buyer.pk).name == "Harbour Bank"

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        response = client.get(reverse("buyers:list"))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_fulfilment_cannot_replay_or_assign(self, staff_client, make_staff):
        buyer = services.create_buyer(actor=None, name="Orphan")
        client = staff_client("fulfilment")
        assert client.post(reverse("buyers:assign", args=[buyer.pk]), {"sales_agent": 1}).status_code == 403
        assert client.get(reverse("buyers:handoffs")).status_code == 403
        assert client.post(reverse("buyers:handoff-replay", args=[1])).status_code == 403

    def test_sales_assign_agents_from_the_queue(self, staff_client, make_staff):
        buyer = services.create_buyer(actor=None, name="Orphan")
        agent = make_staff("sales")
        response = staff_client("sales").post(reverse("buyers:assign", args=[buyer.pk]), {"sales_agent": agent.pk})
        assert response.status_code in (200, 302)
        buyer.refresh_from_db()
        assert buyer.sales_agent == agent


class TestForms:
    def test_sales_agent_creates_a_buyer_they_own(self, client, make_staff):
        agent = make_staff("sales")
        client.force_login(agent)
        response = client.post(reverse("buyers:buyer-new"), {"name": "Quay Capital", "status": "active"})
        buyer = Buyer.objects.get(name="Quay Capital")
        assert response.status_code == 302 and response["Location"] == buyer.get_absolute_url()
        assert buyer.sales_agent == agent
        assert AuditEntry.objects.filter(action="buyer.created", object_id=str(buyer.pk), actor=agent).exists()

    def test_contact_form_with_htmx_redirects_on_success_and_shows_errors_inline(self, staff_client, make_staff):
        buyer = services.create_buyer(actor=None, name="Quay Capital")
        client = staff_client("sales")
        url = reverse("buyers:contact-new", args=[buyer.pk])
        partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert partial.lstrip().startswith('<div id="form-panel"')
        bad = client.post(url, {"name": "Kim", "email": "kim"}, HTTP_HX_REQUEST="true")
        assert bad.status_code == 422 and "valid email" in bad.content.decode()
        good = client.post(url, {"name": "Kim", "email": "kim@quay.example"}, HTTP_HX_REQUEST="true")
        assert good.status_code == 204 and good["HX-Redirect"] == buyer.get_absolute_url()
        assert Contact.objects.get(buyer=buyer).is_primary

    def test_billing_entity_form_rejects_a_bad_abn_beside_the_field(self, staff_client):
        buyer = services.create_buyer(actor=None, name="Quay Capital")
        response = staff_client("sales").post(reverse("buyers:billing-new", args=[buyer.pk]), {
            "legal_name": "Quay Capital Pty Ltd", "tax_number": "12 345 678 901", "email": "ap@quay.example",
            "address_line1": "1 Quay St", "city": "Sydney", "postcode": "2000", "country": "AU"})
        assert response.status_code == 422
        assert "not a valid ABN" in response.content.decode()
        assert not buyer.billing_entities.exists()

    def test_booking_flow_through_the_console(self, staff_client, buyer_setup, catalogue):
        _, buyer, _ = buyer_setup()
        client = staff_client("sales")
        event = catalogue["SF2026"]
        package = event.packages.get(code="BOX-8")
        response = client.post(reverse("buyers:booking-new", args=[buyer.pk]), {
            "event": event.pk, "package": package.pk, "headcount": 16,
            "billing_entity": buyer.billing_entities.get().pk, "special_requirements": "Halal x2"})
        booking = Booking.objects.get(buyer=buyer, event=event)
        assert response.status_code == 302 and booking.units_needed == 2
        ready_url = reverse("buyers:booking-ready", args=[booking.pk])
        refused = client.post(ready_url, follow=True).content.decode()
        assert "event details are not locked" in refused and "no deposit terms" in refused
        client.post(reverse("buyers:booking-lock", args=[booking.pk]))
        terms_url = reverse("buyers:booking-terms", args=[booking.pk])
        form = {"rows-TOTAL_FORMS": "3", "rows-INITIAL_FORMS": "0", "po_number": "PO-9",
                "rows-0-label": "Deposit", "rows-0-due_date": "2026-12-01", "rows-0-percent": "25",
                "rows-1-label": "Balance", "rows-1-due_date": "2027-01-10", "rows-1-percent": "70"}
        wrong = client.post(terms_url, form)
        assert wrong.status_code == 422 and "Percentages total 95%, not 100%." in wrong.content.decode()
        form["rows-1-percent"] = "75"
        assert client.post(terms_url, form).status_code == 302
        client.post(ready_url)
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED and booking.po_number == "PO-9"
        assert booking.reference in client.get(reverse("buyers:ready")).content.decode()

    def test_add_row_keeps_what_was_typed(self, staff_client, buyer_setup):
        _, _, booking = buyer_setup()
        response = staff_client("sales").post(reverse("buyers:booking-terms", args=[booking.pk]), {
            "rows-TOTAL_FORMS": "1", "rows-INITIAL_FORMS": "0", "rows-0-label": "First", "add_row": "1"},
            HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200 and 'value="First"' in body and 'name="rows-1-label"' in body

    def test_amend_needs_a_reason_and_is_refused_after_allocation(self, staff_client, buyer_setup):
        actor, _, booking = buyer_setup()
        client = staff_client("sales")
        url = reverse("buyers:booking-amend", args=[booking.pk])
        data = {"event": booking.event_id, "package": booking.package_id, "headcount": 30}
        assert client.post(url, data).status_code == 422
        assert client.post(url, {**data, "reason": "More guests"}).status_code == 302
        services.mark_ready_for_allocation(actor=actor, booking_id=booking.pk)
        services.transition(booking_id=booking.pk, to_status=BookingStatus.ALLOCATED, actor="allocation")
        refused = client.post(url, {**data, "headcount": 40, "reason": "Even more"})
        assert refused.status_code == 422 and "Release the allocation" in refused.content.decode()
        assert Booking.objects.get(pk=booking.pk).headcount == 30


class TestQueues:
    def test_assignment_queue_assigns_inline(self, staff_client, make_staff):
        agent = make_staff("sales", email="sam@staff.example")
        buyer = services.create_buyer(actor=None, name="Orphan Co", unmatched_agent_email="ghost@example.com")
        client = staff_client("admin")
        page = client.get(reverse("buyers:assignment")).content.decode()
        assert "Orphan Co" in page and "ghost@example.com" in page
        response = client.post(reverse("buyers:assign", args=[buyer.pk]), {"sales_agent": agent.pk},
                               HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and "Assigned to" in response.content.decode()
        assert Buyer.objects.get(pk=buyer.pk).sales_agent == agent
        assert "Every buyer has a sales agent" in client.get(reverse("buyers:assignment")).content.decode()


class TestHandoffConsole:
    def test_list_filters_and_replays_after_the_package_exists(self, staff_client, deliver, catalogue,
                                                                handoff_body):
        handoff_body["booking"]["package_code"] = "MARQUEE-20"
        deliver(handoff_body)
        delivery = CrmHandoff.objects.get()
        client = staff_client("admin")
        page = client.get(reverse("buyers:handoffs"), {"outcome": "attention", "q": "1042"}).content.decode()
        assert "CRM-DEAL-1042" in page and "booking.package_code" in page and "Replay" in page
        assert "No deliveries match" in client.get(reverse("buyers:handoffs"), {"outcome": "created"}).content.decode()
        detail = client.get(reverse("buyers:handoff", args=[delivery.pk])).content.decode()
        assert "&quot;MARQUEE-20&quot;" in detail
        Package.objects.create(event=catalogue["GF2026"], code="MARQUEE-20", name="Marquee",
                               inventory_kind=InventoryKind.SUITE, seats_per_unit=20, unit_price="20000.00")
        response = client.post(reverse("buyers:handoff-replay", args=[delivery.pk]))
        replayed = CrmHandoff.objects.get(replay_of=delivery)
        assert response.status_code == 302 and replayed.outcome == CrmHandoff.Outcome.CREATED
        assert Booking.objects.get().crm_deal_id == "CRM-DEAL-1042"
