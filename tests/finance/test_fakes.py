"""The fakes refuse what the real vendors refuse, so a passing ledger test means the vendor would accept it."""

import json

import pytest
import requests

from tests.fakes import edmx
from tests.fakes.business_central import BusinessCentralFake
from tests.fakes.xero import XeroFake


@pytest.fixture
def xero_fake():
    fake = XeroFake().start()
    yield fake
    fake.stop()
    assert fake.contract_violations == []


@pytest.fixture
def bc_fake(tmp_path):
    fake = BusinessCentralFake(tmp_path).start()
    yield fake
    fake.stop()
    assert fake.contract_violations == []


def xero_session(fake: XeroFake) -> requests.Session:
    token = requests.post(f"{fake.base_url}/connect/token", data={"grant_type": "client_credentials"},
                          auth=(fake.client_id, fake.client_secret)).json()["access_token"]
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "xero-tenant-id": fake.tenant_id,
                            "Accept": "application/json"})
    return session


def good_invoice(contact_id: str, **changes) -> dict:
    invoice = {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": "AUTHORISED",
               "InvoiceNumber": "INV-000001", "DueDate": "2026-12-01", "LineAmountTypes": "Exclusive",
               "LineItems": [{"Description": "Table of 10", "Quantity": 1, "UnitAmount": 9500.0, "AccountCode": "200",
                              "TaxType": "OUTPUT"}]}
    invoice.update(changes)
    return {"Invoices": [{k: v for k, v in invoice.items() if v is not None}]}


@pytest.fixture
def xero_contact(xero_fake):
    session = xero_session(xero_fake)
    response = session.put(f"{xero_fake.base_url}/api.xro/2.0/Contacts",
                           json={"Contacts": [{"Name": "Acme Mining Pty Ltd", "ContactNumber": "12"}]})
    assert response.status_code == 200
    return session, response.json()["Contacts"][0]["ContactID"]


def test_xero_fake_accepts_a_valid_invoice_and_tolerates_the_sdks_read_only_noise(xero_fake, xero_contact):
    session, contact_id = xero_contact
    body = good_invoice(contact_id, HasAttachments=False)  # xero-python sends this read-only field every time
    response = session.put(f"{xero_fake.base_url}/api.xro/2.0/Invoices", json=body)
    assert response.status_code == 200
    assert response.json()["Invoices"][0]["Total"] == 10450.0


def test_xero_fake_rejects_an_invoice_without_a_contact(xero_fake, xero_contact):
    session, _ = xero_contact
    response = session.put(f"{xero_fake.base_url}/api.xro/2.0/Invoices", json=good_invoice(None, Contact=None))
    assert response.status_code == 400
    error = response.json()
    assert error["Type"] == "ValidationException"
    assert error["Elements"][0]["ValidationErrors"][0]["Message"] == \
        "A Contact must be specified for this type of transaction"
    assert not xero_fake.org.invoices


def test_xero_fake_rejects_an_enum_value_outside_the_contract(xero_fake, xero_contact):
    session, contact_id = xero_contact
    response = session.put(f"{xero_fake.base_url}/api.xro/2.0/Invoices",
                           json=good_invoice(contact_id, Status="APPROVED"))
    assert response.status_code == 400
    assert response.json()["Type"] == "PostDataInvalidException"
    assert "'APPROVED' is not one of ['DRAFT', 'SUBMITTED', 'DELETED', 'AUTHORISED', 'PAID', 'VOIDED']" in \
        response.json()["Message"]


def test_xero_fake_rejects_mistyped_fields_and_writes_to_read_only_ones(xero_fake, xero_contact):
    session, contact_id = xero_contact
    mistyped = good_invoice(contact_id)
    mistyped["Invoices"][0]["LineItems"][0]["Quantity"] = "one"
    assert session.put(f"{xero_fake.base_url}/api.xro/2.0/Invoices", json=mistyped).status_code == 400
    read_only = session.put(f"{xero_fake.base_url}/api.xro/2.0/Invoices", json=good_invoice(contact_id, Total=1.0))
    assert read_only.status_code == 400 and "read-only" in read_only.json()["Message"]


def test_xero_fake_keeps_invoice_numbers_unique_and_replays_idempotent_requests(xero_fake, xero_contact):
    session, contact_id = xero_contact
    url = f"{xero_fake.base_url}/api.xro/2.0/Invoices"
    first = session.put(url, json=good_invoice(contact_id), headers={"Idempotency-Key": "k-1"})
    replay = session.put(url, json=good_invoice(contact_id), headers={"Idempotency-Key": "k-1"})
    clash = session.put(url, json=good_invoice(contact_id), headers={"Idempotency-Key": "k-2"})
    assert first.json() == replay.json()
    assert clash.status_code == 400 and "Invoice # must be unique." in clash.text
    assert len(xero_fake.org.invoices) == 1


def test_xero_fake_enforces_the_concurrency_limit(xero_fake, xero_contact):
    session, _ = xero_contact
    xero_fake.org.in_flight = 5  # five calls already running for this organisation
    response = session.get(f"{xero_fake.base_url}/api.xro/2.0/Organisation")
    assert response.status_code == 429 and response.headers["X-Rate-Limit-Problem"] == "concurrent"
    xero_fake.org.in_flight = 0
    assert session.get(f"{xero_fake.base_url}/api.xro/2.0/Organisation").headers["X-MinLimit-Remaining"]


def bc_session(fake: BusinessCentralFake) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = session.post(f"{fake.base_url}/{fake.tenant}/oauth2/v2.0/token", verify=str(fake.tls.ca_path), data={
        "grant_type": "client_credentials", "client_id": fake.client_id, "client_secret": fake.client_secret,
        "scope": "https://api.businesscentral.dynamics.com/.default"}).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"{fake.base_url}/v2.0/{fake.tenant}/{fake.environment}/api/v2.0/companies({fake.company_id})"
    return session, base


@pytest.mark.parametrize("body, fragment", [
    ({"displayName": "Acme", "creditLimitt": 5}, "The property 'creditLimitt' does not exist on type"),
    ({"displayName": "Acme", "balanceDue": 5}, "The property 'balanceDue' is read-only"),
    ({"displayName": "Acme", "creditLimit": "lots"}, "'lots' is not of type 'number'"),
    ({"displayName": "A" * 101}, "is too long"),
    ({"displayName": None}, "None is not of type 'string'"),
    ({"displayName": "Acme", "blocked": "Sometimes"}, "'Sometimes' is not one of"),
])
def test_bc_fake_rejects_what_the_metadata_does_not_allow(bc_fake, body, fragment):
    session, base = bc_session(bc_fake)
    response = session.post(f"{base}/customers", json=body, verify=str(bc_fake.tls.ca_path))
    assert response.status_code == 400
    assert set(response.json()) == {"error"} and set(response.json()["error"]) == {"code", "message"}
    assert fragment in response.json()["error"]["message"]
    assert not bc_fake.customers()


def test_bc_fake_has_no_post_action_on_customer_payment_journals(bc_fake):
    assert "post" in edmx.bound_actions("salesInvoice")
    assert "post" not in edmx.bound_actions("customerPaymentJournal")
    session, base = bc_session(bc_fake)
    response = session.post(f"{base}/customerPaymentJournals({'0' * 8}-0000-0000-0000-{'0' * 12})/Microsoft.NAV.post",
                            verify=str(bc_fake.tls.ca_path))
    assert response.status_code == 404


def test_bc_fake_refuses_an_update_without_the_current_etag(bc_fake):
    session, base = bc_session(bc_fake)
    verify = str(bc_fake.tls.ca_path)
    created = session.post(f"{base}/customers", json={"displayName": "Acme"}, verify=verify).json()
    url = f"{base}/customers({created['id']})"
    assert session.patch(url, json={"email": "a@b.example"}, verify=verify).status_code == 428
    assert session.patch(url, json={"email": "a@b.example"}, headers={"If-Match": created["@odata.etag"]},
                         verify=verify).status_code == 200
    stale = session.patch(url, json={"email": "c@d.example"}, headers={"If-Match": created["@odata.etag"]},
                          verify=verify)
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "Request_EntityChanged"


def test_derived_schemas_follow_the_metadata():
    schema = edmx.request_schema("salesInvoice", ("salesInvoiceLines",))
    assert schema["additionalProperties"] is False
    assert "remainingAmount" not in schema["properties"]  # computed by Business Central
    assert schema["properties"]["externalDocumentNumber"] == {"type": ["string", "null"], "maxLength": 35}
    line = schema["properties"]["salesInvoiceLines"]["items"]
    assert "Account" in line["properties"]["lineType"]["enum"]
    response = edmx.response_schema("salesInvoice")
    assert "In Review" in response["properties"]["status"]["enum"]
    assert json.dumps(response)  # plain JSON Schema, usable by any validator
