"""Dynamics 365 Business Central (API v2.0) with an msal client-credentials token.

Customers keyed by number = our billing entity id; sales invoices created with their lines in one
deep insert, then `Microsoft.NAV.post`; externalDocumentNumber carries our invoice number, which is
how a retry finds a document a timed-out call already created (BC has no idempotency keys).
Updates send If-Match with the record's etag. Payments are read back as remainingAmount by polling
lastModifiedDateTime.
"""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import msal
import requests
from django.conf import settings

from .base import (
    ConnectionCheck,
    Ledger,
    LedgerBalance,
    LedgerRejected,
    LedgerUnavailable,
    PaymentFeed,
    PostResult,
)

SCOPE = "https://api.businesscentral.dynamics.com/.default"
RECONNECT_WAIT = 900
_apps: dict[tuple, msal.ConfidentialClientApplication] = {}
_apps_lock = threading.Lock()


class _Session(requests.Session):
    """A session whose CA bundle wins: requests lets REQUESTS_CA_BUNDLE override `Session.verify`."""

    def __init__(self, verify):
        super().__init__()
        self.verify = verify

    def request(self, method, url, **kwargs):
        kwargs.setdefault("verify", self.verify)
        kwargs.setdefault("timeout", settings.EVENTCHAIN_LEDGER_TIMEOUT)
        return super().request(method, url, **kwargs)


def _session() -> _Session:
    return _Session(settings.BC_CA_BUNDLE or True)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _app() -> msal.ConfidentialClientApplication:
    """One msal app per configuration and process, so its token cache is reused until expiry."""
    missing = [name for name in ("BC_TENANT_ID", "BC_CLIENT_ID", "BC_CLIENT_SECRET", "BC_COMPANY_ID")
               if not getattr(settings, name)]
    if missing:
        raise LedgerUnavailable(f"Business Central is not configured: set {', '.join(missing)} in the environment.",
                                retry_after=RECONNECT_WAIT)
    key = (settings.BC_AUTHORITY, settings.BC_TENANT_ID, settings.BC_CLIENT_ID, settings.BC_CA_BUNDLE)
    with _apps_lock:
        if key not in _apps:
            try:
                _apps[key] = msal.ConfidentialClientApplication(
                    settings.BC_CLIENT_ID, client_credential=settings.BC_CLIENT_SECRET,
                    authority=f"{settings.BC_AUTHORITY}/{settings.BC_TENANT_ID}", instance_discovery=False,
                    http_client=_session(),
                )
            except (ValueError, requests.RequestException) as exc:
                raise LedgerUnavailable(f"Could not reach the Entra ID authority: {exc}") from exc
        return _apps[key]


class BusinessCentralLedger(Ledger):
    backend = "business_central"
    label = "Business Central"

    def __init__(self):
        self.session = _session()

    @property
    def base(self) -> str:
        return (f"{settings.BC_API_BASE_URL}/{settings.BC_TENANT_ID}/{settings.BC_ENVIRONMENT}/api/v2.0/"
                f"companies({settings.BC_COMPANY_ID})")

    # -- plumbing -----------------------------------------------------------------------------------------
    def _token(self, *, renew: bool) -> str:
        app = _app()
        if renew:
            app.remove_tokens_for_client()
        try:
            result = app.acquire_token_for_client(scopes=[SCOPE])
        except requests.RequestException as exc:
            raise LedgerUnavailable(f"Entra ID did not answer: {exc}") from exc
        if "access_token" not in result:
            raise LedgerUnavailable(f"Business Central sign-in failed: {result.get('error_description') or result}",
                                    retry_after=RECONNECT_WAIT)
        return result["access_token"]

    def _request(self, method: str, path: str, *, params=None, body=None, etag: str | None = None,
                 absolute: bool = False) -> requests.Response:
        url = path if absolute else f"{self.base}/{path}"
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token(renew=attempt == 2)}", "Accept": "application/json"}
            if etag:
                headers["If-Match"] = etag
            try:
                response = self.session.request(method, url, params=params, json=body, headers=headers)
            except requests.RequestException as exc:
                raise LedgerUnavailable(f"Business Central did not answer in time ({type(exc).__name__})") from exc
            if response.status_code == 401 and attempt == 1:
                continue  # the token expired or was revoked: get a fresh one once
            if response.status_code == 429 or response.status_code >= 500:
                retry = response.headers.get("Retry-After")
                raise LedgerUnavailable(f"Business Central answered {response.status_code}",
                                        retry_after=float(retry) if retry else None)
            if response.status_code == 401:
                raise LedgerUnavailable("Business Central refused the token; check the app registration's "
                                        "permissions", retry_after=RECONNECT_WAIT)
            if response.status_code >= 400:
                raise _Refused(response)
            return response
        raise AssertionError("unreachable")

    def _get_all(self, path: str, params: dict) -> list[dict]:
        rows, response = [], self._request("GET", path, params=params).json()
        rows.extend(response.get("value", []))
        while response.get("@odata.nextLink"):
            response = self._request("GET", response["@odata.nextLink"], absolute=True).json()
            rows.extend(response.get("value", []))
        return rows

    def _find(self, entity_set: str, field: str, value: str) -> dict | None:
        found = self._request("GET", entity_set, params={"$filter": f"{field} eq {_quote(value)}"}).json()["value"]
        return found[0] if found else None

    # -- customers ----------------------------------------------------------------------------------------
    def _customer_id(self, entity) -> str:
        from ..services import connections

        wanted = {
            "displayName": entity.legal_name[:100], "addressLine1": entity.address_line1[:100],
            "addressLine2": entity.address_line2[:50], "city": entity.city[:30], "state": entity.region[:30],
            "country": entity.country[:10], "postalCode": entity.postcode[:20], "email": entity.email[:80],
            "taxRegistrationNumber": entity.tax_number,
        }
        number = str(entity.pk)
        for _ in (1, 2):
            existing = self._find("customers", "number", number)
            if existing is None:
                created = self._request("POST", "customers", body={"number": number, "type": "Company", **wanted})
                customer_id = created.json()["id"]
                break
            changed = {k: v for k, v in wanted.items() if (existing.get(k) or "") != v}
            customer_id = existing["id"]
            if not changed:
                break
            etag = existing.get("@odata.etag") or self._request("GET", f"customers({customer_id})").json()["@odata.etag"]
            try:
                self._request("PATCH", f"customers({customer_id})", body=changed, etag=etag)
                break
            except _Refused as exc:
                if exc.status != 412:  # someone changed it in BC meanwhile: read the new etag and try once more
                    raise LedgerRejected(exc.message) from exc
        connections.remember_ledger_contact(entity=entity, backend=self.backend, tenant_id=settings.BC_COMPANY_ID,
                                            external_id=customer_id)
        return customer_id

    @staticmethod
    def _lines(lines) -> list[dict]:
        return [{"sequence": 10000 * (index + 1), "lineType": "Account", "lineObjectNumber": line.account_code,
                 "description": line.description[:100], "quantity": float(line.quantity),
                 "unitPrice": float(line.unit_amount), "taxCode": line.tax_type}
                for index, line in enumerate(lines)]

    def _post_document(self, entity_set: str, existing: dict | None, body: dict) -> dict:
        try:
            document = existing or self._request("POST", entity_set, body=body).json()
            if document["status"] == "Draft":
                self._request("POST", f"{entity_set}({document['id']})/Microsoft.NAV.post")
            return self._request("GET", f"{entity_set}({document['id']})").json()
        except _Refused as exc:
            raise LedgerRejected(exc.message) from exc

    # -- documents ----------------------------------------------------------------------------------------
    def post_invoice(self, invoice, *, idempotency_key: str, retrying: bool) -> PostResult:
        if invoice.billing_entity is None:
            raise LedgerRejected(f"{invoice.number} has no billing entity to send to Business Central.")
        try:
            existing = self._find("salesInvoices", "externalDocumentNumber", invoice.number)
            body = None
            if existing is None:
                body = {
                    "customerId": self._customer_id(invoice.billing_entity), "externalDocumentNumber": invoice.number,
                    "invoiceDate": invoice.issue_date.isoformat(), "dueDate": invoice.due_date.isoformat(),
                    "customerPurchaseOrderReference": invoice.po_number[:35], "currencyCode": invoice.currency,
                    "salesInvoiceLines": self._lines(invoice.lines.all()),
                }
        except _Refused as exc:
            raise LedgerRejected(exc.message) from exc
        posted = self._post_document("salesInvoices", existing, body)
        return PostResult(posted["id"], posted["number"] or "", _money(posted["totalAmountIncludingTax"]))

    def post_credit_note(self, credit_note, *, idempotency_key: str, retrying: bool) -> PostResult:
        invoice = credit_note.invoice
        try:
            existing = self._find("salesCreditMemos", "externalDocumentNumber", credit_note.number)
            body = None
            if existing is None:
                body = {
                    "customerId": self._customer_id(invoice.billing_entity),
                    "externalDocumentNumber": credit_note.number, "invoiceId": invoice.external_id,
                    "creditMemoDate": credit_note.issue_date.isoformat(), "currencyCode": invoice.currency,
                    "salesCreditMemoLines": self._lines(credit_note.lines.all()),
                }
        except _Refused as exc:
            raise LedgerRejected(exc.message) from exc
        posted = self._post_document("salesCreditMemos", existing, body)
        return PostResult(posted["id"], posted["number"] or "", _money(posted["totalAmountIncludingTax"]))

    # -- payments -----------------------------------------------------------------------------------------
    @staticmethod
    def _balance(row: dict) -> LedgerBalance | None:
        if not row.get("externalDocumentNumber") or row.get("status") in (None, "Draft", " "):
            return None
        settled = _money(row["totalAmountIncludingTax"]) - _money(row["remainingAmount"])
        modified = datetime.fromisoformat(row["lastModifiedDateTime"].replace("Z", "+00:00"))
        return LedgerBalance(invoice_external_id=row["id"], invoice_number=row["externalDocumentNumber"],
                             settled=settled, modified_at=modified,
                             raw={k: row.get(k) for k in ("id", "number", "status", "remainingAmount",
                                                          "totalAmountIncludingTax", "lastModifiedDateTime")})

    def fetch_payments(self, since) -> PaymentFeed:
        params = {}
        if since is not None:
            params["$filter"] = f"lastModifiedDateTime gt {since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        try:
            rows = self._get_all("salesInvoices", params)
        except _Refused as exc:
            raise LedgerRejected(exc.message) from exc
        return PaymentFeed(balances=[b for b in map(self._balance, rows) if b is not None])

    def fetch_invoice_payments(self, external_id: str) -> PaymentFeed:
        try:
            row = self._request("GET", f"salesInvoices({external_id})").json()
        except _Refused as exc:
            raise LedgerRejected(exc.message) from exc
        balance = self._balance(row)
        return PaymentFeed(balances=[balance] if balance else [])

    def check_connection(self) -> ConnectionCheck:
        try:
            companies = self._request("GET", f"{settings.BC_API_BASE_URL}/{settings.BC_TENANT_ID}/"
                                             f"{settings.BC_ENVIRONMENT}/api/v2.0/companies", absolute=True).json()
        except (LedgerUnavailable, _Refused) as exc:
            return ConnectionCheck(False, str(exc))
        match = next((c for c in companies.get("value", []) if c["id"] == settings.BC_COMPANY_ID), None)
        if match is None:
            return ConnectionCheck(False, f"Signed in, but company {settings.BC_COMPANY_ID} is not in environment "
                                          f"{settings.BC_ENVIRONMENT}; check BC_COMPANY_ID.")
        return ConnectionCheck(True, f"Connected to Business Central company {match.get('displayName') or match['name']}"
                                     f" ({settings.BC_ENVIRONMENT}).")


class _Refused(Exception):
    """A 4xx from Business Central, with its `{"error": {"code", "message"}}` body."""

    def __init__(self, response: requests.Response):
        self.status = response.status_code
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        self.message = (f"Business Central refused it ({error.get('code') or response.status_code}): "
                        f"{error.get('message') or response.text[:300]}")
        super().__init__(self.message)
