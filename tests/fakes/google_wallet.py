"""Google Wallet on loopback: the OAuth token endpoint for service accounts and the walletobjects v1
REST resources EventChain uses (eventTicketClass, eventTicketObject: GET, POST, PUT, PATCH).

It checks what a real issuer account would refuse: a token assertion not signed by the service
account's key, missing or foreign bearer tokens, ids outside the issuer's namespace, objects whose
class does not exist, and resources without the required fields or with invalid enum values (the
shapes of the REST reference). Refusals answer Google's error shape; each is also recorded in
`problems`, which tests assert stays empty.
"""

import json
import re
import secrets
import threading
import time
from urllib.parse import parse_qsl

from google.auth import jwt

from .loopback import Request, Response

OBJECT_STATES = {"ACTIVE", "COMPLETED", "EXPIRED", "INACTIVE"}
REVIEW_STATUSES = {"UNDER_REVIEW", "APPROVED", "DRAFT", "REJECTED"}
BARCODE_TYPES = {"QR_CODE", "AZTEC", "PDF_417", "CODE_128", "DATA_MATRIX", "CODE_39", "EAN_13", "UPC_A",
                 "TEXT_ONLY"}
ID_PATTERN = re.compile(r"^\d+\.[A-Za-z0-9._-]+$")
PATCHABLE_OBJECT_FIELDS = {"state", "barcode", "ticketHolderName", "seatInfo", "validTimeInterval", "ticketNumber",
                           "ticketType"}
PREFIX = "/walletobjects/v1/"
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


def _localized(value) -> bool:
    default = (value or {}).get("defaultValue") or {}
    return bool(default.get("language")) and isinstance(default.get("value"), str)


class GoogleWalletFake:
    def __init__(self, *, issuer_id: str, public_key_pem: str, service_account_email: str):
        self.issuer_id = issuer_id
        self.public_key_pem = public_key_pem
        self.service_account_email = service_account_email
        self.base_url = ""
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.classes: dict[str, dict] = {}
        self.objects: dict[str, dict] = {}
        self.calls: list[tuple[str, str, int]] = []
        self.problems: list[str] = []

    # Loopback hooks -------------------------------------------------------------------------------

    def fault_response(self, status: int, headers: dict) -> Response:
        return Response.json(status, {"error": {"code": status, "message": "Backend Error", "status": "UNAVAILABLE"}},
                             headers)

    def expire_token(self, request: Request) -> None:
        token = request.header("authorization").removeprefix("Bearer ")
        with self.lock:
            self.tokens.pop(token, None)

    def handle(self, request: Request) -> Response:
        response = self._route(request)
        with self.lock:
            self.calls.append((request.method, request.path, response.status))
        return response

    # Helpers --------------------------------------------------------------------------------------

    def _error(self, status: int, message: str, *, problem: bool = True) -> Response:
        if problem:
            with self.lock:
                self.problems.append(message)
        reason = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 409: "ALREADY_EXISTS"}
        return Response.json(status, {"error": {"code": status, "message": message,
                                                "status": reason.get(status, "UNKNOWN")}})

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._error(400, "unsupported grant_type")
        try:
            # google-auth addresses the assertion to Google's token endpoint wherever it posts it.
            claims = jwt.decode(form.get("assertion", ""), certs=self.public_key_pem, audience=TOKEN_AUDIENCE)
        except ValueError as exc:
            return self._error(400, f"invalid_grant: {exc}")
        if claims.get("iss") != self.service_account_email:
            return self._error(400, "invalid_grant: unknown service account")
        if "wallet_object.issuer" not in claims.get("scope", ""):
            return self._error(400, "invalid_scope: the Wallet issuer scope is required")
        token = "ya29.fake-" + secrets.token_urlsafe(16)
        with self.lock:
            self.tokens[token] = time.time() + 3600
        return Response.json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _authorised(self, request: Request) -> bool:
        token = request.header("authorization").removeprefix("Bearer ").strip()
        with self.lock:
            return self.tokens.get(token, 0) > time.time()

    def _class_problems(self, body: dict) -> list[str]:
        problems = []
        if not ID_PATTERN.match(str(body.get("id", ""))) or not str(body.get("id")).startswith(self.issuer_id + "."):
            problems.append(f"class id {body.get('id')!r} is not '<issuerId>.<identifier>' for this issuer")
        if not body.get("issuerName"):
            problems.append("eventTicketClass.issuerName is required")
        if not _localized(body.get("eventName")):
            problems.append("eventTicketClass.eventName must be a LocalizedString")
        if body.get("reviewStatus") not in REVIEW_STATUSES:
            problems.append(f"eventTicketClass.reviewStatus {body.get('reviewStatus')!r} is not valid")
        return problems

    def _barcode_problems(self, barcode) -> list[str]:
        if not isinstance(barcode, dict):
            return ["barcode must be an object"]
        problems = []
        if barcode.get("type") not in BARCODE_TYPES:
            problems.append(f"barcode.type {barcode.get('type')!r} is not valid")
        if not barcode.get("value"):
            problems.append("barcode.value is required")
        return problems

    def _object_problems(self, body: dict) -> list[str]:
        problems = []
        object_id = str(body.get("id", ""))
        if not ID_PATTERN.match(object_id) or not object_id.startswith(self.issuer_id + "."):
            problems.append(f"object id {object_id!r} is not '<issuerId>.<identifier>' for this issuer")
        if body.get("classId") not in self.classes:
            problems.append(f"classId {body.get('classId')!r} does not exist")
        if body.get("state") not in OBJECT_STATES:
            problems.append(f"state {body.get('state')!r} is not one of {sorted(OBJECT_STATES)}")
        problems += self._barcode_problems(body.get("barcode"))
        seat = body.get("seatInfo")
        if seat is not None and not all(_localized(seat.get(k)) for k in seat):
            problems.append("seatInfo values must be LocalizedStrings")
        return problems

    # Routes ---------------------------------------------------------------------------------------

    def _route(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if not request.path.startswith(PREFIX):
            return self._error(404, f"no route {request.path}")
        if not self._authorised(request):
            return self._error(401, "Request is missing a valid OAuth access token", problem=False)
        parts = request.path[len(PREFIX):].split("/")
        resource = parts[0]
        if resource not in {"eventTicketClass", "eventTicketObject"}:
            return self._error(404, f"unknown resource {resource}")
        store = self.classes if resource == "eventTicketClass" else self.objects
        check = self._class_problems if resource == "eventTicketClass" else self._object_problems
        if len(parts) == 1 and request.method == "POST":
            body = request.json() or {}
            problems = check(body)
            if problems:
                return self._error(400, "; ".join(problems))
            with self.lock:
                if body["id"] in store:
                    return self._error(409, f"{resource} {body['id']} already exists")
                store[body["id"]] = body
            return Response.json(200, body)
        if len(parts) != 2:
            return self._error(404, "not found")
        resource_id = parts[1]
        with self.lock:
            current = store.get(resource_id)
        if request.method == "GET":
            if current is None:
                return self._error(404, f"{resource} {resource_id} not found", problem=False)
            return Response.json(200, current)
        if current is None:
            return self._error(404, f"{resource} {resource_id} not found")
        body = request.json() or {}
        if request.method == "PUT":
            if body.get("id") != resource_id:
                return self._error(400, "the body's id must match the URL")
            problems = check(body)
            if problems:
                return self._error(400, "; ".join(problems))
            with self.lock:
                store[resource_id] = body
            return Response.json(200, body)
        if request.method == "PATCH":
            if resource == "eventTicketObject":
                unknown = set(body) - PATCHABLE_OBJECT_FIELDS
                if unknown:
                    return self._error(400, f"cannot patch {sorted(unknown)}")
                if "state" in body and body["state"] not in OBJECT_STATES:
                    return self._error(400, f"state {body['state']!r} is not valid")
                if "barcode" in body and self._barcode_problems(body["barcode"]):
                    return self._error(400, "; ".join(self._barcode_problems(body["barcode"])))
            merged = {**current, **body}
            with self.lock:
                store[resource_id] = merged
            return Response.json(200, merged)
        return self._error(405, f"{request.method} is not supported")

    def dump(self) -> str:
        return json.dumps({"classes": self.classes, "objects": self.objects}, indent=1)
