"""A stateful Xero (identity + accounting API) on loopback, validating every call against Xero's contract.

State per organisation: contacts, invoices, payments, credit notes and allocations, with Xero's
per-line half-up tax rounding, AmountDue/AmountPaid/PAID, unique invoice numbers, Idempotency-Key
replay and the documented rate limits (5 concurrent calls, 60 per minute). Anything the real API
would refuse is answered 400 in Xero's error shape; the fake's own responses are checked against
the contract too, and a mismatch is recorded in `contract_violations` (tests assert it stays empty).
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl

from .loopback import LoopbackServer, Request, Response
from .xero_contract import (
    accounting_spec,
    identity_schema_problems,
    identity_spec,
    parse_xero_date,
    request_problems,
    response_problems,
    strip_sdk_noise,
    to_msdate,
    xero_error,
)

CENT = Decimal("0.01")
ACCOUNTING_PREFIX = "/api.xro/2.0"
MAX_CONCURRENT = 5
MAX_PER_MINUTE = 60


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> float:
    return float(value)


@dataclass
class Organisation:
    tenant_id: str
    name: str
    contacts: dict = field(default_factory=dict)  # ContactID -> contact
    invoices: dict = field(default_factory=dict)  # InvoiceID -> invoice
    payments: dict = field(default_factory=dict)  # PaymentID -> payment
    credit_notes: dict = field(default_factory=dict)
    idempotent: dict = field(default_factory=dict)  # key -> Response
    calls: deque = field(default_factory=deque)  # monotonic times of recent calls
    in_flight: int = 0


@dataclass
class Token:
    tenants: list[str]
    expires_at: float
    kind: str


class ValidationFailure(Exception):
    def __init__(self, messages: list[str], element: dict | None = None):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.element = element or {}


class XeroFake:
    client_id = "xero-test-client"
    client_secret = "xero-test-secret"
    # Tax types and their rates (percent) as an AU+NZ demo organisation would have them.
    tax_rates = {"OUTPUT": Decimal("10"), "OUTPUT2": Decimal("15"), "EXEMPTOUTPUT": Decimal("0"),
                 "NONE": Decimal("0"), "BASEXCLUDED": Decimal("0")}
    accounts = {"200": "Sales", "260": "Other Revenue", "090": "Business Bank Account"}
    bank_accounts = {"090"}

    def __init__(self, *, token_ttl: int = 1800, organisations: tuple[str, ...] = ("Riverside Hospitality",)):
        self.lock = threading.RLock()
        self.token_ttl = token_ttl
        self.orgs: dict[str, Organisation] = {}
        for name in organisations:
            org = Organisation(str(uuid.uuid4()), name)
            self.orgs[org.tenant_id] = org
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, list[str]] = {}
        self.codes: dict[str, str] = {}
        self.log: list[tuple[str, str, int]] = []
        self.rejections: list[tuple[str, list[str]]] = []
        self.contract_violations: list[str] = []
        self.server = LoopbackServer(self)

    # -- test helpers -------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def faults(self):
        return self.server.faults

    @property
    def tenant_id(self) -> str:
        return next(iter(self.orgs))

    @property
    def org(self) -> Organisation:
        return self.orgs[self.tenant_id]

    def start(self) -> "XeroFake":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def authorize(self, redirect_uri: str) -> str:
        """What Xero's login page does once the user consents: an authorization code for `redirect_uri`."""
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = redirect_uri
        return code

    def invoices_numbered(self, number: str) -> list[dict]:
        with self.lock:
            return [i for org in self.orgs.values() for i in org.invoices.values() if i["InvoiceNumber"] == number]

    def invoice(self, number: str) -> dict:
        (found,) = self.invoices_numbered(number)
        return found

    def receive_payment(self, invoice_number: str, amount: str, *, reference: str = "", on=None) -> dict:
        """A receipt reconciled in Xero by the organisation's bookkeeper."""
        with self.lock:
            invoice = self.invoice(invoice_number)
            org = next(o for o in self.orgs.values() if invoice["InvoiceID"] in o.invoices)
            return self._apply_payment(org, {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "090"},
                                             "Amount": float(amount), "Reference": reference,
                                             "Date": (on or datetime.now(UTC).date()).isoformat()})

    def signed_webhook(self, key: str, events: list[dict] | None = None) -> tuple[bytes, str]:
        """A webhook body and its x-xero-signature; no events is Xero's intent-to-receive probe."""
        body = json.dumps({"events": events or [], "firstEventSequence": 1, "lastEventSequence": 1,
                           "entropy": secrets.token_hex(10).upper()}).encode()
        signature = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
        return body, signature

    def invoice_event(self, invoice_id: str) -> dict:
        return {"resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{invoice_id}", "resourceId": invoice_id,
                "eventDateUtc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3], "eventType": "UPDATE",
                "eventCategory": "INVOICE", "tenantId": self.tenant_id, "tenantType": "ORGANISATION"}

    # -- loopback app -------------------------------------------------------------------------------------
    def fault_response(self, status: int, headers: dict) -> Response:
        if status == 429:
            return Response(429, b"", headers)
        return Response(status, json.dumps({"Title": "Service unavailable", "Status": status}).encode(),
                        {"Content-Type": "application/json", **headers})

    def expire_token(self, request: Request) -> None:
        token = self._bearer(request)
        with self.lock:
            if token in self.tokens:
                self.tokens[token].expires_at = 0

    def handle(self, request: Request) -> Response:
        response = self._route(request)
        with self.lock:
            self.log.append((request.method, request.path, response.status))
        return response

    def _route(self, request: Request) -> Response:
        path = request.path
        if path == "/connect/token" and request.method == "POST":
            return self._token(request)
        if path.lower() == "/connections" and request.method == "GET":
            return self._connections(request)
        if path.startswith(ACCOUNTING_PREFIX + "/"):
            return self._accounting(request)
        return Response.json(404, {"Title": "Not found", "Status": 404})

    # -- identity -----------------------------------------------------------------------------------------
    def _client_ok(self, request: Request, form: dict) -> bool:
        auth = request.header("authorization")
        if auth.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secret == self.client_secret

    def _issue(self, tenants: list[str], kind: str, *, refresh: bool) -> dict:
        access = secrets.token_urlsafe(24)
        self.tokens[access] = Token(tenants, time.time() + self.token_ttl, kind)
        body = {"access_token": access, "expires_in": self.token_ttl, "token_type": "Bearer",
                "scope": "offline_access accounting.transactions accounting.contacts accounting.settings.read"}
        if refresh:
            refresh_token = secrets.token_urlsafe(24)
            self.refresh_tokens[refresh_token] = tenants
            body["refresh_token"] = refresh_token
        return body

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode()))
        if not self._client_ok(request, form):
            return Response.json(400, {"error": "invalid_client"})
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                redirect = self.codes.pop(form.get("code", ""), None)
                if redirect is None or redirect != form.get("redirect_uri"):
                    return Response.json(400, {"error": "invalid_grant"})
                body = self._issue(list(self.orgs), "user", refresh=True)
            elif grant == "refresh_token":
                tenants = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # Xero rotates refresh tokens
                if tenants is None:
                    return Response.json(400, {"error": "invalid_grant"})
                body = self._issue(tenants, "user", refresh=True)
            elif grant == "client_credentials":
                body = self._issue([self.tenant_id], "custom_connection", refresh=False)
            else:
                return Response.json(400, {"error": "unsupported_grant_type"})
        problems = identity_schema_problems("AccessToken", body)
        if problems:
            self.contract_violations.extend(problems)
            return Response.json(500, {"error": "fake produced an invalid token response"})
        return Response.json(200, body)

    def _bearer(self, request: Request) -> str:
        auth = request.header("authorization")
        return auth[7:] if auth.lower().startswith("bearer ") else ""

    def _token_for(self, request: Request) -> tuple[Token | None, Response | None]:
        token = self.tokens.get(self._bearer(request))
        if token is None:
            return None, Response.json(401, {"Type": None, "Title": "Unauthorized", "Status": 401,
                                             "Detail": "AuthenticationUnsuccessful"})
        if token.expires_at <= time.time():
            return None, Response.json(401, {"Type": None, "Title": "Unauthorized", "Status": 401,
                                             "Detail": "TokenExpired: token expired"})
        return token, None

    def _connections(self, request: Request) -> Response:
        with self.lock:
            token, refused = self._token_for(request)
            if refused:
                return refused
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            body = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, org_id)), "authEventId": str(uuid.uuid4()),
                     "tenantId": org_id, "tenantType": "ORGANISATION", "tenantName": self.orgs[org_id].name,
                     "createdDateUtc": stamp, "updatedDateUtc": stamp} for org_id in token.tenants]
        response = Response.json(200, body)
        problems = response_problems(identity_spec(), request, "/Connections", b"", response)
        if problems:
            self.contract_violations.extend(problems)
            return Response.json(500, {"error": problems})
        return response

    # -- accounting ---------------------------------------------------------------------------------------
    def _accounting(self, request: Request) -> Response:
        with self.lock:
            token, refused = self._token_for(request)
            if refused:
                return refused
            tenant = request.header("xero-tenant-id")
            if tenant not in token.tenants or tenant not in self.orgs:
                return Response.json(403, {"Type": None, "Title": "Forbidden", "Status": 403,
                                           "Detail": "AuthorizationUnsuccessful"})
            org = self.orgs[tenant]
            limited = self._rate_limited(org)
            if limited:
                return limited
            org.in_flight += 1
        try:
            return self._accounting_call(request, org)
        finally:
            with self.lock:
                org.in_flight -= 1

    def _rate_limited(self, org: Organisation) -> Response | None:
        now = time.monotonic()
        while org.calls and now - org.calls[0] >= 60:
            org.calls.popleft()
        if org.in_flight >= MAX_CONCURRENT:
            return Response(429, b"", {"Retry-After": "1", "X-Rate-Limit-Problem": "concurrent"})
        if len(org.calls) >= MAX_PER_MINUTE:
            wait = int(60 - (now - org.calls[0])) + 1
            return Response(429, b"", {"Retry-After": str(wait), "X-Rate-Limit-Problem": "minute"})
        org.calls.append(now)
        return None

    def _rate_headers(self, org: Organisation) -> dict:
        return {"X-MinLimit-Remaining": str(MAX_PER_MINUTE - len(org.calls)), "X-DayLimit-Remaining": "4900",
                "X-AppMinLimit-Remaining": "9900"}

    def _accounting_call(self, request: Request, org: Organisation) -> Response:
        body = request.body
        if body and request.method in {"PUT", "POST"}:
            try:
                body = json.dumps(strip_sdk_noise(json.loads(body))).encode()
            except ValueError:
                return xero_error(400, "PostDataInvalidException", "JSON for post data was invalid", number=14)
        problems = request_problems(accounting_spec(), request, request.path, body)
        if problems:
            with self.lock:
                self.rejections.append((f"{request.method} {request.path}", problems))
            return xero_error(400, "PostDataInvalidException",
                              "JSON for post data was invalid, " + "; ".join(problems), number=14)
        key = request.header("idempotency-key")
        if key and request.method in {"PUT", "POST"}:
            with self.lock:
                replay = org.idempotent.get(key)
            if replay is not None:
                return replay
        try:
            with self.lock:
                response = self._dispatch(request, org, json.loads(body) if body else None)
        except ValidationFailure as failure:
            with self.lock:
                self.rejections.append((f"{request.method} {request.path}", failure.messages))
            element = {**failure.element, "ValidationErrors": [{"Message": m} for m in failure.messages]}
            response = xero_error(400, "ValidationException", "A validation exception occurred", [element])
        problems = response_problems(accounting_spec(), request, request.path, body, response)
        if problems:
            with self.lock:
                self.contract_violations.append(f"{request.method} {request.path}: {problems}")
            return Response.json(500, {"Message": "fake response broke the contract", "Problems": problems})
        response.headers.update(self._rate_headers(org))
        if key and request.method in {"PUT", "POST"} and response.status < 500:
            with self.lock:
                org.idempotent[key] = response
        return response

    def _dispatch(self, request: Request, org: Organisation, data) -> Response:
        parts = request.path[len(ACCOUNTING_PREFIX) + 1:].split("/")
        resource, method = parts[0], request.method
        if resource == "Organisation" and method == "GET":
            return Response.json(200, {"Organisations": [self._organisation(org)]})
        if resource == "Contacts":
            if len(parts) == 2 and method == "GET":
                contact = self._find_contact(org, parts[1])
                return self._not_found() if contact is None else Response.json(200, {"Contacts": [contact]})
            if len(parts) == 1 and method == "GET":
                return Response.json(200, {"Contacts": self._where(list(org.contacts.values()), request)})
            if len(parts) == 1 and method in {"PUT", "POST"}:
                return Response.json(200, {"Contacts": [self._save_contact(org, c, update=method == "POST")
                                                        for c in data.get("Contacts", [])]})
        if resource == "Invoices":
            if len(parts) == 2 and method == "GET":
                invoice = self._find_invoice(org, parts[1])
                return self._not_found() if invoice is None else Response.json(200, {"Invoices": [invoice]})
            if len(parts) == 1 and method == "GET":
                return Response.json(200, {"Invoices": self._list_invoices(org, request)})
            if len(parts) == 1 and method in {"PUT", "POST"}:
                return Response.json(200, {"Invoices": [self._create_invoice(org, i) for i in data.get("Invoices", [])]})
        if resource == "Payments":
            if len(parts) == 1 and method == "GET":
                rows = self._modified_since(list(org.payments.values()), request)
                return Response.json(200, {"Payments": self._where(rows, request)})
            if len(parts) == 1 and method in {"PUT", "POST"}:
                return Response.json(200, {"Payments": [self._apply_payment(org, p) for p in data.get("Payments", [])]})
        if resource == "CreditNotes":
            if len(parts) == 1 and method == "GET":
                rows = self._modified_since(list(org.credit_notes.values()), request)
                return Response.json(200, {"CreditNotes": self._where(rows, request)})
            if len(parts) == 1 and method in {"PUT", "POST"}:
                return Response.json(200, {"CreditNotes": [self._create_credit_note(org, c)
                                                           for c in data.get("CreditNotes", [])]})
            if len(parts) == 3 and parts[2] == "Allocations" and method == "PUT":
                return Response.json(200, {"Allocations": [self._allocate(org, parts[1], a)
                                                            for a in data.get("Allocations", [])]})
        return self._not_found()

    # -- behaviour ----------------------------------------------------------------------------------------
    def _not_found(self) -> Response:
        return Response(404, b"The resource you're looking for cannot be found", {"Content-Type": "text/plain"})

    def _now(self) -> str:
        return to_msdate(datetime.now(UTC))

    def _organisation(self, org: Organisation) -> dict:
        return {"OrganisationID": org.tenant_id, "Name": org.name, "LegalName": f"{org.name} Pty Ltd",
                "BaseCurrency": "AUD", "CountryCode": "AU", "OrganisationType": "COMPANY", "IsDemoCompany": False,
                "OrganisationStatus": "ACTIVE", "Version": "AU"}

    def _where(self, rows: list[dict], request: Request) -> list[dict]:
        """The `where` filters this fake understands: Field=="value" joined by AND."""
        where = request.param("where")
        if not where:
            return rows
        for clause in where.split(" AND "):
            name, _, value = clause.partition("==")
            value = value.strip().strip('"')
            rows = [r for r in rows if str(r.get(name.strip(), "")) == value]
        return rows

    def _modified_since(self, rows: list[dict], request: Request) -> list[dict]:
        since = request.header("if-modified-since")
        if not since:
            return rows
        cutoff = datetime.fromisoformat(since.replace("Z", "+00:00"))
        if cutoff.tzinfo is None:
            cutoff = cutoff.replace(tzinfo=UTC)
        return [r for r in rows if datetime.fromisoformat(r["UpdatedDateUTCString"]) >= cutoff]

    def _find_contact(self, org: Organisation, key: str) -> dict | None:
        if key in org.contacts:
            return org.contacts[key]
        return next((c for c in org.contacts.values() if c.get("ContactNumber") == key), None)

    def _save_contact(self, org: Organisation, data: dict, *, update: bool) -> dict:
        existing = None
        if data.get("ContactID"):
            existing = org.contacts.get(data["ContactID"])
            if existing is None:
                raise ValidationFailure(["The contact with the specified ContactID could not be found"])
        elif data.get("ContactNumber"):
            existing = self._find_contact(org, data["ContactNumber"])
            if existing is not None and not update:
                raise ValidationFailure([f"The contact number {data['ContactNumber']} is already assigned to "
                                         "another contact."])
        name = data.get("Name") or (existing or {}).get("Name")
        if not name:
            raise ValidationFailure(["The contact name must be specified."])
        clash = next((c for c in org.contacts.values() if c["Name"] == name and c is not existing), None)
        if clash is not None:
            raise ValidationFailure([f"The contact name {name} is already assigned to another contact. "
                                     "The contact name must be unique across all active contacts."])
        contact = existing or {"ContactID": str(uuid.uuid4()), "ContactStatus": "ACTIVE"}
        for field_name in ("ContactNumber", "Name", "TaxNumber", "EmailAddress", "Addresses", "FirstName",
                           "LastName", "AccountNumber"):
            if field_name in data:
                contact[field_name] = data[field_name]
        contact["Name"] = name
        contact["UpdatedDateUTC"] = self._now()
        org.contacts[contact["ContactID"]] = contact
        return contact

    def _contact_ref(self, org: Organisation, data: dict | None) -> dict:
        if not data:
            raise ValidationFailure(["A Contact must be specified for this type of transaction"])
        contact = None
        if data.get("ContactID"):
            contact = org.contacts.get(data["ContactID"])
        elif data.get("ContactNumber"):
            contact = self._find_contact(org, data["ContactNumber"])
        elif data.get("Name"):
            contact = next((c for c in org.contacts.values() if c["Name"] == data["Name"]), None)
            if contact is None:
                contact = self._save_contact(org, {"Name": data["Name"]}, update=False)
        if contact is None:
            raise ValidationFailure(["The Contact could not be found; specify an existing ContactID or "
                                     "ContactNumber"])
        return {"ContactID": contact["ContactID"], "ContactNumber": contact.get("ContactNumber", ""),
                "Name": contact["Name"]}

    def _lines(self, lines: list[dict] | None, amount_types: str, status: str) -> tuple[list[dict], dict]:
        if not lines:
            raise ValidationFailure(["At least one line item is required"])
        out, subtotal, tax_total = [], Decimal("0.00"), Decimal("0.00")
        for line in lines:
            if not line.get("Description"):
                raise ValidationFailure(["The description field is mandatory for each line item."])
            quantity = Decimal(str(line.get("Quantity", 1)))
            unit = Decimal(str(line.get("UnitAmount", 0)))
            amount = cents(quantity * unit)
            if "LineAmount" in line and cents(line["LineAmount"]) != amount:
                raise ValidationFailure([f"The line amount {line['LineAmount']} does not equal quantity × unit "
                                         f"amount ({amount})."])
            code = line.get("AccountCode")
            if status == "AUTHORISED" and not code:
                raise ValidationFailure(["Account code must be specified"])
            if code and code not in self.accounts:
                raise ValidationFailure([f"Account code '{code}' is not a valid code for this document."])
            tax_type = line.get("TaxType") or "OUTPUT"
            if tax_type not in self.tax_rates:
                raise ValidationFailure([f"The TaxType code '{tax_type}' does not exist or cannot be used for "
                                         "this type of transaction."])
            rate = self.tax_rates[tax_type] if amount_types != "NoTax" else Decimal("0")
            if amount_types == "Inclusive":
                tax = cents(amount * rate / (100 + rate))
                net = amount - tax
            else:
                tax, net = cents(amount * rate / 100), amount  # per line, half up: Xero's rule
            subtotal += net
            tax_total += tax
            out.append({"LineItemID": str(uuid.uuid4()), "Description": line["Description"],
                        "Quantity": float(quantity), "UnitAmount": money(unit), "AccountCode": code or "",
                        "TaxType": tax_type, "TaxAmount": money(tax), "LineAmount": money(amount)})
        return out, {"SubTotal": subtotal, "TotalTax": tax_total, "Total": subtotal + tax_total}

    def _create_invoice(self, org: Organisation, data: dict) -> dict:
        element = {"InvoiceNumber": data.get("InvoiceNumber", "")} if data.get("InvoiceNumber") else {}
        try:
            if data.get("Type") not in {"ACCREC", "ACCPAY"}:
                raise ValidationFailure(["Invoice Type must be ACCREC or ACCPAY"])
            status = data.get("Status", "DRAFT")
            if status not in {"DRAFT", "SUBMITTED", "AUTHORISED"}:
                raise ValidationFailure([f"An invoice cannot be created with status {status}"])
            contact = self._contact_ref(org, data.get("Contact"))
            number = data.get("InvoiceNumber") or f"INV-{len(org.invoices) + 1:04d}"
            if any(i["InvoiceNumber"] == number for i in org.invoices.values()):
                raise ValidationFailure(["Invoice # must be unique."])
            if data["Type"] == "ACCREC" and status == "AUTHORISED" and not data.get("DueDate"):
                raise ValidationFailure(["Due Date is mandatory for ACCREC invoices"])
            amount_types = data.get("LineAmountTypes", "Exclusive")
            lines, totals = self._lines(data.get("LineItems"), amount_types, status)
        except ValidationFailure as failure:
            failure.element = element
            raise
        now = datetime.now(UTC)
        invoice = {
            "Type": data["Type"], "InvoiceID": str(uuid.uuid4()), "InvoiceNumber": number,
            "Reference": data.get("Reference", ""), "Contact": contact, "LineItems": lines,
            "Date": to_msdate(parse_xero_date(data.get("Date")) or now.date()),
            "DueDate": to_msdate(parse_xero_date(data.get("DueDate")) or now.date()),
            "LineAmountTypes": amount_types, "CurrencyCode": data.get("CurrencyCode", "AUD"), "CurrencyRate": 1.0,
            "Status": status, "SubTotal": money(totals["SubTotal"]), "TotalTax": money(totals["TotalTax"]),
            "Total": money(totals["Total"]), "AmountDue": money(totals["Total"]), "AmountPaid": 0.0,
            "AmountCredited": 0.0, "Payments": [], "CreditNotes": [], "HasAttachments": False,
            "IsDiscounted": False, "UpdatedDateUTC": to_msdate(now), "UpdatedDateUTCString": _iso(now),
        }
        org.invoices[invoice["InvoiceID"]] = invoice
        return invoice

    def _find_invoice(self, org: Organisation, key: str) -> dict | None:
        if key in org.invoices:
            return org.invoices[key]
        return next((i for i in org.invoices.values() if i["InvoiceNumber"] == key), None)

    def _list_invoices(self, org: Organisation, request: Request) -> list[dict]:
        rows = self._modified_since(list(org.invoices.values()), request)
        numbers = request.param("InvoiceNumbers")
        if numbers:
            wanted = {n.strip() for n in numbers.split(",")}
            rows = [r for r in rows if r["InvoiceNumber"] in wanted]
        ids = request.param("IDs")
        if ids:
            wanted = {n.strip() for n in ids.split(",")}
            rows = [r for r in rows if r["InvoiceID"] in wanted]
        statuses = request.param("Statuses")
        if statuses:
            wanted = {n.strip() for n in statuses.split(",")}
            rows = [r for r in rows if r["Status"] in wanted]
        rows = self._where(rows, request)
        page = int(request.param("page", "1") or 1)
        return sorted(rows, key=lambda r: r["UpdatedDateUTCString"])[(page - 1) * 100: page * 100]

    def _touch(self, document: dict) -> None:
        now = datetime.now(UTC)
        document["UpdatedDateUTC"] = to_msdate(now)
        document["UpdatedDateUTCString"] = _iso(now)

    def _settle(self, invoice: dict) -> None:
        if Decimal(str(invoice["AmountDue"])) <= 0:
            invoice["AmountDue"] = 0.0
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = to_msdate(datetime.now(UTC).date())
        self._touch(invoice)

    def _apply_payment(self, org: Organisation, data: dict) -> dict:
        ref = data.get("Invoice") or {}
        invoice = self._find_invoice(org, ref.get("InvoiceID") or ref.get("InvoiceNumber") or "")
        if invoice is None:
            raise ValidationFailure(["Invoice could not be found"])
        if invoice["Status"] != "AUTHORISED":
            raise ValidationFailure([f"Payments can only be made against Authorised documents; this one is "
                                     f"{invoice['Status']}"])
        account = (data.get("Account") or {}).get("Code")
        if account not in self.bank_accounts:
            raise ValidationFailure(["Account code must be a bank account or have payments enabled"])
        amount = cents(data.get("Amount", 0))
        due = Decimal(str(invoice["AmountDue"]))
        if amount <= 0:
            raise ValidationFailure(["Payment amount must be greater than zero"])
        if amount > due:
            raise ValidationFailure(["Payment amount exceeds the amount outstanding on this document"])
        now = datetime.now(UTC)
        payment = {
            "PaymentID": str(uuid.uuid4()), "Date": to_msdate(parse_xero_date(data.get("Date")) or now.date()),
            "Amount": money(amount), "Reference": data.get("Reference", ""), "CurrencyRate": 1.0,
            "PaymentType": "ACCRECPAYMENT", "Status": "AUTHORISED", "IsReconciled": True,
            "Account": {"AccountID": str(uuid.uuid5(uuid.NAMESPACE_OID, account)), "Code": account},
            "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"],
                        "Type": invoice["Type"]},
            "UpdatedDateUTC": to_msdate(now), "UpdatedDateUTCString": _iso(now),
        }
        org.payments[payment["PaymentID"]] = payment
        invoice["AmountPaid"] = money(Decimal(str(invoice["AmountPaid"])) + amount)
        invoice["AmountDue"] = money(due - amount)
        invoice["Payments"].append({"PaymentID": payment["PaymentID"], "Date": payment["Date"],
                                    "Amount": payment["Amount"], "Reference": payment["Reference"]})
        self._settle(invoice)
        return {k: v for k, v in payment.items() if k != "UpdatedDateUTCString"}

    def _create_credit_note(self, org: Organisation, data: dict) -> dict:
        if data.get("Type") not in {"ACCRECCREDIT", "ACCPAYCREDIT"}:
            raise ValidationFailure(["Credit note Type must be ACCRECCREDIT or ACCPAYCREDIT"])
        status = data.get("Status", "DRAFT")
        contact = self._contact_ref(org, data.get("Contact"))
        number = data.get("CreditNoteNumber") or f"CN-{len(org.credit_notes) + 1:04d}"
        if any(c["CreditNoteNumber"] == number for c in org.credit_notes.values()):
            raise ValidationFailure(["Credit Note # must be unique."])
        amount_types = data.get("LineAmountTypes", "Exclusive")
        lines, totals = self._lines(data.get("LineItems"), amount_types, status)
        now = datetime.now(UTC)
        note = {
            "Type": data["Type"], "CreditNoteID": str(uuid.uuid4()), "CreditNoteNumber": number,
            "Reference": data.get("Reference", ""), "Contact": contact, "LineItems": lines,
            "Date": to_msdate(parse_xero_date(data.get("Date")) or now.date()), "LineAmountTypes": amount_types,
            "CurrencyCode": data.get("CurrencyCode", "AUD"), "Status": status,
            "SubTotal": money(totals["SubTotal"]), "TotalTax": money(totals["TotalTax"]),
            "Total": money(totals["Total"]), "RemainingCredit": money(totals["Total"]), "Allocations": [],
            "UpdatedDateUTC": to_msdate(now), "UpdatedDateUTCString": _iso(now),
        }
        org.credit_notes[note["CreditNoteID"]] = note
        return {k: v for k, v in note.items() if k != "UpdatedDateUTCString"}

    def _allocate(self, org: Organisation, credit_note_id: str, data: dict) -> dict:
        note = org.credit_notes.get(credit_note_id)
        if note is None:
            raise ValidationFailure(["Credit note could not be found"])
        if note["Status"] != "AUTHORISED":
            raise ValidationFailure(["Only authorised credit notes can be allocated"])
        invoice = self._find_invoice(org, (data.get("Invoice") or {}).get("InvoiceID", ""))
        if invoice is None:
            raise ValidationFailure(["Invoice could not be found"])
        amount = cents(data.get("Amount", 0))
        if amount <= 0 or amount > Decimal(str(note["RemainingCredit"])):
            raise ValidationFailure(["The allocated amount must be positive and no more than the remaining credit"])
        if amount > Decimal(str(invoice["AmountDue"])):
            raise ValidationFailure(["The allocated amount exceeds the amount outstanding on the invoice"])
        allocation = {"AllocationID": str(uuid.uuid4()), "Amount": money(amount),
                      "Date": to_msdate(parse_xero_date(data.get("Date")) or datetime.now(UTC).date()),
                      "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"]},
                      "CreditNote": {"CreditNoteID": note["CreditNoteID"]}}
        note["RemainingCredit"] = money(Decimal(str(note["RemainingCredit"])) - amount)
        note["Allocations"].append(allocation)
        if note["RemainingCredit"] == 0:
            note["Status"] = "PAID"
        self._touch(note)
        invoice["AmountCredited"] = money(Decimal(str(invoice["AmountCredited"])) + amount)
        invoice["AmountDue"] = money(Decimal(str(invoice["AmountDue"])) - amount)
        invoice["CreditNotes"].append({"CreditNoteID": note["CreditNoteID"],
                                       "CreditNoteNumber": note["CreditNoteNumber"], "Total": note["Total"]})
        self._settle(invoice)
        return allocation


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def counts_by_number(fake: XeroFake) -> dict[str, int]:
    seen: dict[str, int] = defaultdict(int)
    for org in fake.orgs.values():
        for invoice in org.invoices.values():
            seen[invoice["InvoiceNumber"]] += 1
    return dict(seen)
