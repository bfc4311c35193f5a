"""A stateful Business Central (Entra ID token endpoint + API v2.0) on loopback over TLS.

Requests and responses are validated against JSON Schemas derived from the v2.0 `$metadata`
(tests/fakes/edmx.py): unknown, read-only, mistyped or over-long properties get 400 in Business
Central's error shape `{"error": {"code", "message"}}`. State: customers, sales invoices with lines
(deep insert), sales credit memos, the bound `Microsoft.NAV.post` action, weak etags with If-Match,
remainingAmount/status moved by receipts, lastModifiedDateTime on every change.
"""

import base64
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator

from . import edmx
from .loopback import LoopbackServer, Request, Response
from .tls import make_tls_material

CENT = Decimal("0.01")
SCOPE = "https://api.businesscentral.dynamics.com/.default"
API_PATH = re.compile(r"^/v2\.0/(?P<tenant>[^/]+)/(?P<env>[^/]+)/api/v2\.0/(?P<rest>.*)$")
SEGMENT = re.compile(r"^(?P<name>[A-Za-z.]+)(?:\((?P<key>[^)]*)\))?$")
ENTITY_SETS = {
    "customers": ("customer", ()),
    "salesInvoices": ("salesInvoice", ("salesInvoiceLines",)),
    "salesCreditMemos": ("salesCreditMemo", ("salesCreditMemoLines",)),
    "customerPaymentJournals": ("customerPaymentJournal", ()),
}
LINE_SETS = {"salesInvoice": ("salesInvoiceLines", "salesInvoiceLine"),
             "salesCreditMemo": ("salesCreditMemoLines", "salesCreditMemoLine")}


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return Response.json(status, {"error": {"code": code, "message": message}}, headers)


class BadRequest(Exception):
    def __init__(self, message: str, code: str = "BadRequest", status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass
class Stored:
    entity: str
    data: dict
    version: int = 1

    @property
    def etag(self) -> str:
        return 'W/"' + base64.b64encode(f"{self.data['id']};{self.version}".encode()).decode() + '"'


class BusinessCentralFake:
    tenant = "00000000-0000-4000-8000-00000000ec01"
    environment = "production"
    client_id = "bc-test-client"
    client_secret = "bc-test-secret"
    tax_percent = {"OUTPUT": Decimal("10"), "GST10": Decimal("10"), "GST": Decimal("10"), "FRE": Decimal("0"),
                   "EXEMPTOUTPUT": Decimal("0")}
    gl_accounts = {"200", "260", "6110", "40100"}
    currencies = {"", "AUD", "NZD"}

    def __init__(self, tls_dir: Path, *, token_ttl: int = 3599):
        self.lock = threading.RLock()
        self.token_ttl = token_ttl
        self.company_id = str(uuid.uuid4())
        self.tls = make_tls_material(tls_dir)
        self.records: dict[str, dict[str, Stored]] = {name: {} for name in ENTITY_SETS}
        self.tokens: dict[str, float] = {}
        self.counters = {"customer": 10000, "draft": 1000, "posted": 103000, "memo": 104000}
        self.log: list[tuple[str, str, int]] = []
        self.rejections: list[tuple[str, str]] = []
        self.contract_violations: list[str] = []
        self.server = LoopbackServer(self, tls_context=self.tls.server_context())

    # -- test helpers -------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def faults(self):
        return self.server.faults

    def start(self) -> "BusinessCentralFake":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def invoices_with_external_number(self, number: str) -> list[dict]:
        with self.lock:
            return [r.data for r in self.records["salesInvoices"].values() if r.data["externalDocumentNumber"] == number]

    def invoice(self, number: str) -> dict:
        (found,) = self.invoices_with_external_number(number)
        return found

    def customers(self) -> list[dict]:
        with self.lock:
            return [r.data for r in self.records["customers"].values()]

    def credit_memos(self) -> list[dict]:
        with self.lock:
            return [r.data for r in self.records["salesCreditMemos"].values()]

    def receive_payment(self, external_number: str, amount: str) -> dict:
        """A customer payment journal line posted and applied to the invoice in Business Central."""
        with self.lock:
            stored = next(r for r in self.records["salesInvoices"].values()
                          if r.data["externalDocumentNumber"] == external_number)
            remaining = cents(stored.data["remainingAmount"]) - cents(amount)
            if remaining < 0:
                raise ValueError("Business Central applies at most the remaining amount")
            self._set_remaining(stored, remaining)
            return stored.data

    # -- loopback app -------------------------------------------------------------------------------------
    def fault_response(self, status: int, headers: dict) -> Response:
        if status == 429:
            return error(429, "Application_TooManyRequests", "Too Many Requests. Please retry later.", headers)
        return error(status, "Unavailable", "The service is temporarily unavailable.", headers)

    def expire_token(self, request: Request) -> None:
        token = request.header("authorization")[7:]
        with self.lock:
            if token in self.tokens:
                self.tokens[token] = 0

    def handle(self, request: Request) -> Response:
        response = self._route(request)
        with self.lock:
            self.log.append((request.method, request.path, response.status))
        return response

    def _route(self, request: Request) -> Response:
        path = request.path
        if path == f"/{self.tenant}/v2.0/.well-known/openid-configuration":
            return self._openid_configuration()
        if path == f"/{self.tenant}/oauth2/v2.0/token" and request.method == "POST":
            return self._token(request)
        match = API_PATH.match(path)
        if match is None or match["tenant"] != self.tenant or match["env"] != self.environment:
            return error(404, "BadRequest_NotFound", f"No HTTP resource was found that matches '{path}'.")
        expires = self.tokens.get(request.header("authorization")[7:]) if request.header(
            "authorization").startswith("Bearer ") else None
        if expires is None or expires <= time.time():
            return error(401, "Authentication_InvalidCredentials", "The credentials provided are incorrect")
        try:
            with self.lock:
                return self._api(request, match["rest"])
        except BadRequest as exc:
            with self.lock:
                self.rejections.append((f"{request.method} {path}", exc.message))
            return error(exc.status, exc.code, exc.message)

    def _openid_configuration(self) -> Response:
        base = f"{self.base_url}/{self.tenant}"
        return Response.json(200, {
            "issuer": f"{base}/v2.0", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token", "response_types_supported": ["code", "token"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
        })

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode()))
        auth = request.header("authorization")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if form.get("grant_type") != "client_credentials":
            return Response.json(400, {"error": "unsupported_grant_type"})
        if client_id != self.client_id or secret != self.client_secret:
            return Response.json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client "
                                       "secret provided."})
        if form.get("scope") != SCOPE:
            return Response.json(400, {"error": "invalid_scope", "error_description": "AADSTS70011: The provided "
                                       "value for the input parameter 'scope' is not valid."})
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.time() + self.token_ttl
        return Response.json(200, {"token_type": "Bearer", "expires_in": self.token_ttl,
                                   "ext_expires_in": self.token_ttl, "access_token": token})

    # -- API ----------------------------------------------------------------------------------------------
    def _api(self, request: Request, rest: str) -> Response:
        segments = [SEGMENT.match(s) for s in rest.split("/")]
        if not rest or any(s is None for s in segments):
            raise BadRequest(f"The request URI '{rest}' is not valid.", "BadRequest_InvalidRequestUrl")
        if segments[0]["name"] != "companies":
            raise BadRequest(f"Resource '{segments[0]['name']}' not found.", "BadRequest_NotFound", 404)
        if len(segments) == 1:
            return self._respond(request, "company", {"value": [self._company()]}, collection=True)
        if segments[0]["key"] != self.company_id:
            raise BadRequest(f"Company '{segments[0]['key']}' does not exist.", "BadRequest_CompanyNotFound", 404)
        set_name = segments[1]["name"]
        if set_name not in ENTITY_SETS:
            raise BadRequest(f"Resource not found for the segment '{set_name}'.", "BadRequest_NotFound", 404)
        entity, deep = ENTITY_SETS[set_name]
        key = segments[1]["key"]
        stored = self._get(set_name, key) if key else None
        if len(segments) == 3:
            action = segments[2]["name"]
            if action.startswith("Microsoft.NAV."):
                return self._action(request, entity, stored, action.removeprefix("Microsoft.NAV."))
            if entity in LINE_SETS and action == LINE_SETS[entity][0] and request.method == "GET":
                return self._respond(request, LINE_SETS[entity][1], {"value": stored.data[action]}, collection=True)
            raise BadRequest(f"Resource not found for the segment '{action}'.", "BadRequest_NotFound", 404)
        if request.method == "GET" and stored is None:
            rows = self._query([r.data for r in self.records[set_name].values()], request)
            expanded = self._expand(request, deep)
            return self._respond(request, entity, {"value": [self._view(set_name, r, expanded) for r in rows]},
                                 collection=True, expanded=expanded)
        if request.method == "GET":
            expanded = self._expand(request, deep)
            return self._respond(request, entity, self._view(set_name, stored.data, expanded), stored=stored,
                                 expanded=expanded)
        if request.method == "POST" and stored is None:
            body = self._body(request, entity, deep)
            created = self._create(set_name, entity, body)
            return self._respond(request, entity, self._view(set_name, created.data, deep), status=201,
                                 stored=created, expanded=tuple(d for d in deep if d in body))
        if request.method == "PATCH" and stored is not None:
            self._check_etag(request, stored)
            body = self._body(request, entity, ())
            self._patch(set_name, stored, body)
            return self._respond(request, entity, self._view(set_name, stored.data, ()), stored=stored)
        raise BadRequest(f"The HTTP method '{request.method}' is not allowed here.", "BadRequest_MethodNotAllowed", 405)

    def _company(self) -> dict:
        row = self._blank("company")
        row.pop("lastModifiedDateTime", None)
        row.update({"id": self.company_id, "systemVersion": "24.0.16410.18040", "timestamp": 1, "name": "CRONUS AU",
                    "displayName": "Riverside Hospitality", "businessProfileId": "", "systemCreatedAt": now_iso(),
                    "systemCreatedBy": str(uuid.UUID(int=0)), "systemModifiedAt": now_iso(),
                    "systemModifiedBy": str(uuid.UUID(int=0))})
        return {k: v for k, v in row.items() if k in edmx.metadata()[0]["company"].properties}

    def _get(self, set_name: str, key: str) -> Stored:
        stored = self.records[set_name].get(key)
        if stored is None:
            raise BadRequest(f"The {set_name} with id {key} does not exist.", "Internal_RecordNotFound", 404)
        return stored

    def _expand(self, request: Request, deep: tuple[str, ...]) -> tuple[str, ...]:
        wanted = tuple(x.strip() for x in (request.param("$expand") or "").split(",") if x.strip())
        for name in wanted:
            if name not in deep:
                raise BadRequest(f"Could not find a property named '{name}' to expand.")
        return wanted

    def _query(self, rows: list[dict], request: Request) -> list[dict]:
        expression = request.param("$filter")
        if expression:
            for clause in re.split(r"\s+and\s+", expression.strip()):
                match = re.fullmatch(r"(\w+)\s+(eq|gt|ge|lt)\s+(.+)", clause.strip())
                if match is None:
                    raise BadRequest(f"Invalid filter expression '{clause}'.")
                name, op, literal = match.groups()
                literal = literal.strip()
                value = literal[1:-1].replace("''", "'") if literal.startswith("'") else literal
                if rows and name not in rows[0]:
                    raise BadRequest(f"Could not find a property named '{name}' on type.")
                rows = [r for r in rows if _compare(r.get(name), op, value)]
        top = request.param("$top")
        return rows[: int(top)] if top else rows

    def _body(self, request: Request, entity: str, deep: tuple[str, ...]) -> dict:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise BadRequest("The request body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        self._check_request(entity, body, deep)
        return body

    def _check_request(self, entity: str, body: dict, deep: tuple[str, ...]) -> None:
        read_only = edmx.read_only_properties(entity)
        entities, _ = edmx.metadata()
        for name in body:
            if name in read_only:
                raise BadRequest(f"The property '{name}' is read-only on type 'Microsoft.NAV.{entity}' and cannot "
                                 "be set.")
            if name not in entities[entity].properties and name not in deep:
                raise BadRequest(f"The property '{name}' does not exist on type 'Microsoft.NAV.{entity}'. Make sure "
                                 "to only use property names that are defined by the type.")
        for nav in deep:
            for line in body.get(nav, []) if isinstance(body.get(nav), list) else []:
                if isinstance(line, dict):
                    self._check_request(entities[entity].navigation[nav][0], line, ())
        errors = sorted(Draft202012Validator(edmx.request_schema(entity, deep)).iter_errors(body), key=str)
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path)
            raise BadRequest(f"Cannot convert the value at '{where}' for type 'Microsoft.NAV.{entity}': "
                             f"{first.message}")

    def _respond(self, request: Request, entity: str, body: dict, *, status: int = 200, stored: Stored | None = None,
                 collection: bool = False, expanded: tuple[str, ...] = ()) -> Response:
        context = f"{self.base_url}{request.path.split('(')[0]}/$metadata#{entity}"
        schema = edmx.response_schema(entity, expanded)
        rows = body["value"] if collection else [body]
        for row in rows:
            if not collection:
                row["@odata.context"] = context
            if stored is not None:
                row["@odata.etag"] = stored.etag
            problems = [e.message for e in Draft202012Validator(schema).iter_errors(row)]
            if problems:
                self.contract_violations.append(f"{request.method} {request.path}: {problems}")
                return error(500, "FakeContractViolation", "; ".join(problems))
        if collection:
            body = {"@odata.context": context, **body}
        headers = {"ETag": stored.etag} if stored is not None else {}
        return Response.json(status, body, headers)

    def _check_etag(self, request: Request, stored: Stored) -> None:
        match = request.header("if-match")
        if not match:
            raise BadRequest("Could not validate the client concurrency token required by the service. Please "
                             "provide a valid client concurrency token in the If-Match header.",
                             "Request_InvalidIfMatch", 428)
        if match != "*" and match != stored.etag:
            raise BadRequest("Another user has already changed the record.", "Request_EntityChanged", 412)

    def _view(self, set_name: str, data: dict, expanded: tuple[str, ...]) -> dict:
        entity, deep = ENTITY_SETS[set_name]
        entities, _ = edmx.metadata()
        view = {name: data.get(name) for name in entities[entity].properties}
        stored = self.records[set_name].get(data["id"])
        if stored is not None:
            view["@odata.etag"] = stored.etag  # every entity in a response carries its etag, collections too
        for nav in expanded:
            view[nav] = [dict(line) for line in data.get(nav, [])]
        return view

    # -- behaviour ----------------------------------------------------------------------------------------
    def _blank(self, entity: str) -> dict:
        entities, _ = edmx.metadata()
        row = dict.fromkeys(entities[entity].properties)
        row["id"] = str(uuid.uuid4())
        row["lastModifiedDateTime"] = now_iso()
        return row

    def _customer(self, body: dict) -> dict:
        customer = None
        if body.get("customerId"):
            stored = self.records["customers"].get(body["customerId"])
            customer = stored.data if stored else None
        elif body.get("customerNumber"):
            customer = next((r.data for r in self.records["customers"].values()
                             if r.data["number"] == body["customerNumber"]), None)
        else:
            raise BadRequest("You must specify a customer (customerId or customerNumber) for the document.")
        if customer is None:
            raise BadRequest("The customer does not exist. Identification fields and values: "
                             f"No.='{body.get('customerNumber') or body.get('customerId')}'",
                             "Internal_RecordNotFound")
        if customer["blocked"] in {"Invoice", "All"}:
            raise BadRequest(f"You cannot invoice customer {customer['number']} because it is blocked.")
        return customer

    def _lines(self, entity: str, document_id: str, lines: list[dict]) -> tuple[list[dict], dict]:
        out, excl, tax = [], Decimal("0.00"), Decimal("0.00")
        for sequence, line in enumerate(lines, start=1):
            row = self._blank(entity)
            row.pop("lastModifiedDateTime", None)
            row.update({k: v for k, v in line.items()})
            row["documentId"] = document_id
            row["sequence"] = line.get("sequence") or sequence * 10000
            row["lineType"] = line.get("lineType") or "Item"
            if row["lineType"] == "Account" and row.get("lineObjectNumber") not in self.gl_accounts:
                raise BadRequest(f"The G/L Account does not exist. Identification fields and values: "
                                 f"No.='{row.get('lineObjectNumber')}'", "Internal_RecordNotFound")
            if row["lineType"] == "Comment":
                row.update({"quantity": 0, "unitPrice": 0, "amountExcludingTax": 0, "totalTaxAmount": 0,
                            "amountIncludingTax": 0, "taxPercent": 0})
                out.append(row)
                continue
            code = line.get("taxCode") or "OUTPUT"
            if code not in self.tax_percent:
                raise BadRequest(f"The VAT Product Posting Group '{code}' does not exist.", "Internal_RecordNotFound")
            amount = cents(Decimal(str(line.get("quantity", 0))) * Decimal(str(line.get("unitPrice", 0))))
            line_tax = cents(amount * self.tax_percent[code] / 100)
            excl += amount
            tax += line_tax
            row.update({"taxCode": code, "taxPercent": float(self.tax_percent[code]),
                        "amountExcludingTax": float(amount), "totalTaxAmount": float(line_tax),
                        "amountIncludingTax": float(amount + line_tax), "netAmount": float(amount),
                        "netTaxAmount": float(line_tax), "netAmountIncludingTax": float(amount + line_tax),
                        "invoiceDiscountAllocation": 0.0, "discountAmount": line.get("discountAmount", 0),
                        "discountPercent": line.get("discountPercent", 0), "discountAppliedBeforeTax": False})
            out.append(row)
        return out, {"totalAmountExcludingTax": float(excl), "totalTaxAmount": float(tax),
                     "totalAmountIncludingTax": float(excl + tax)}

    def _create(self, set_name: str, entity: str, body: dict) -> Stored:
        row = self._blank(entity)
        if entity == "customer":
            if not body.get("displayName"):
                raise BadRequest("displayName must be specified for a customer.")
            number = body.get("number")
            if number is None:
                self.counters["customer"] += 10
                number = f"C{self.counters['customer']}"
            if any(r.data["number"] == number for r in self.records["customers"].values()):
                raise BadRequest(f"The record in table Customer already exists. Identification fields and values: "
                                 f"No.='{number}'", "Internal_EntityWithSameKeyExists")
            row.update(body)
            row.update({"number": number, "type": body.get("type") or "Company", "balanceDue": 0.0,
                        "blocked": body.get("blocked") or " "})
        elif entity in {"salesInvoice", "salesCreditMemo"}:
            customer = self._customer(body)
            if body.get("currencyCode", "") not in self.currencies:
                raise BadRequest(f"The Currency does not exist. Identification fields and values: "
                                 f"Code='{body['currencyCode']}'", "Internal_RecordNotFound")
            nav, line_entity = LINE_SETS[entity]
            row.update({k: v for k, v in body.items() if k != nav})
            lines, totals = self._lines(line_entity, row["id"], body.get(nav, []))
            row[nav] = lines
            row.update(totals)
            self.counters["draft"] += 1
            row.update({"number": f"{'S-INV' if entity == 'salesInvoice' else 'S-CR'}{self.counters['draft']}",
                        "customerId": customer["id"], "customerNumber": customer["number"],
                        "customerName": customer["displayName"], "billToCustomerId": customer["id"],
                        "billToCustomerNumber": customer["number"], "billToName": customer["displayName"],
                        "status": "Draft", "pricesIncludeTax": False, "discountAmount": 0.0,
                        "discountAppliedBeforeTax": False, "currencyCode": body.get("currencyCode") or "AUD"})
            row.setdefault("invoiceDate" if entity == "salesInvoice" else "creditMemoDate",
                           datetime.now(UTC).date().isoformat())
            if entity == "salesInvoice":
                row["remainingAmount"] = totals["totalAmountIncludingTax"]
            if entity == "salesCreditMemo" and body.get("invoiceId"):
                invoice = self._get("salesInvoices", body["invoiceId"]).data
                if invoice["customerId"] != customer["id"]:
                    raise BadRequest("The credit memo customer must match the invoice customer.")
                row["invoiceNumber"] = invoice["number"]
        else:
            raise BadRequest(f"Entity set '{set_name}' does not support insert.", "BadRequest_MethodNotAllowed", 405)
        stored = Stored(entity, row)
        self.records[set_name][row["id"]] = stored
        return stored

    def _patch(self, set_name: str, stored: Stored, body: dict) -> None:
        if stored.entity in {"salesInvoice", "salesCreditMemo"} and stored.data["status"] != "Draft":
            raise BadRequest("You cannot change a posted document.")
        stored.data.update(body)
        stored.data["lastModifiedDateTime"] = now_iso()
        stored.version += 1

    def _action(self, request: Request, entity: str, stored: Stored | None, action: str) -> Response:
        if request.method != "POST" or stored is None or action not in edmx.bound_actions(entity):
            raise BadRequest(f"The bound action 'Microsoft.NAV.{action}' is not defined for type "
                             f"'Microsoft.NAV.{entity}'.", "BadRequest_NotFound", 404)
        if action == "post":
            if stored.data["status"] != "Draft":
                raise BadRequest(f"The document {stored.data['number']} has already been posted.")
            kind = "posted" if entity == "salesInvoice" else "memo"
            self.counters[kind] += 1
            stored.data["number"] = f"{'PS-INV' if entity == 'salesInvoice' else 'PS-CR'}{self.counters[kind]}"
            stored.data["status"] = "Open"
            stored.data["lastModifiedDateTime"] = now_iso()
            stored.version += 1
            if entity == "salesCreditMemo" and stored.data.get("invoiceId"):
                invoice = self.records["salesInvoices"][stored.data["invoiceId"]]
                applied = min(cents(invoice.data["remainingAmount"]), cents(stored.data["totalAmountIncludingTax"]))
                self._set_remaining(invoice, cents(invoice.data["remainingAmount"]) - applied)
                if applied == cents(stored.data["totalAmountIncludingTax"]):
                    stored.data["status"] = "Paid"
            return Response(204)
        raise BadRequest(f"The fake does not implement Microsoft.NAV.{action}.", "BadRequest_NotImplemented", 501)

    def _set_remaining(self, stored: Stored, remaining: Decimal) -> None:
        stored.data["remainingAmount"] = float(remaining)
        if remaining == 0 and stored.data["status"] == "Open":
            stored.data["status"] = "Paid"
        stored.data["lastModifiedDateTime"] = now_iso()
        stored.version += 1


def _compare(actual, op: str, literal: str) -> bool:
    if actual is None:
        return False
    if op == "eq":
        return str(actual) == literal
    left = datetime.fromisoformat(str(actual).replace("Z", "+00:00"))
    right = datetime.fromisoformat(literal.replace("Z", "+00:00"))
    return {"gt": left > right, "ge": left >= right, "lt": left < right}[op]
