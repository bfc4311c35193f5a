"""Gate API for scanner devices (API.md: Gate): single scans, offline batches, the device's gate bundle."""

from datetime import UTC, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import field_validator

from eventchain.models import Event
from tickets import queries as ticket_queries

from . import holds
from .auth import gate_token
from .scans import ScanInput, record_batch, record_scan

router = Router(tags=["gate"], auth=gate_token)

MAX_BATCH = 5000


class ScanIn(Schema):
    code: str = Field(..., max_length=4000, description="The scanned string, e.g. EC1:…")
    gate: str = Field("", max_length=100, description="Where it was scanned; the device's gate when empty.")
    device_id: str = Field(..., min_length=1, max_length=100, description="The handset's own id.")
    scanned_at: datetime = Field(..., description="When it was scanned, ISO 8601 with offset.")
    nonce: str = Field(..., min_length=1, max_length=100, description="Unique per scan on this device.")

    @field_validator("scanned_at")
    @classmethod
    def needs_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must include a UTC offset, e.g. 2026-12-01T14:05:09+11:00")
        try:
            # The same instant in UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("is out of range; send a time between years 1 and 9999") from exc

    def to_input(self) -> ScanInput:
        return ScanInput(code=self.code, gate=self.gate.strip(), scanned_at=self.scanned_at,
                         device_id=self.device_id.strip(), nonce=self.nonce.strip())


class ScanTicketOut(Schema):
    id: str
    guest_name: str | None
    unit: str
    entitlements: list[str]
    seat: str | None = None
    area: str | None = None
    number: str | None = None
    package: str | None = None


class ScanOut(Schema):
    result: str = Field(..., description="admitted|duplicate|revoked|invalid|wrong_event|not_yet_valid|expired")
    ticket: ScanTicketOut | None
    message: str


class BatchIn(Schema):
    scans: list[ScanIn] = Field(..., max_length=MAX_BATCH)


class BatchOut(Schema):
    results: list[ScanOut]
    next: str | None = None


class PublicKeyOut(Schema):
    kid: str
    ed25519_public_key: str


class RevokedOut(Schema):
    ticket: str
    generation: int


class BundleOut(Schema):
    event: str
    gate: str
    allow_reentry: bool
    public_keys: list[PublicKeyOut]
    revoked: list[RevokedOut]
    generated_at: str


@router.post("/gate/scans", response=ScanOut, summary="Check one scanned code at the gate and record it")
def post_scan(request: HttpRequest, payload: ScanIn):
    device = request.auth
    holds.ensure_not_held(device)
    return record_scan(event=device.event, scan=payload.to_input(), device=device)


@router.post("/gate/scans/batch", response=BatchOut,
             summary="Upload scans made offline; answers come back in the order sent")
def post_batch(request: HttpRequest, payload: BatchIn):
    device = request.auth
    holds.ensure_not_held(device)
    results = record_batch(event=device.event, scans=[scan.to_input() for scan in payload.scans], device=device)
    return {"results": results, "next": None}


@router.get("/gate/bundle", response=BundleOut,
            summary="The gate bundle of this device's event (public keys, revoked codes), for offline checks")
def device_bundle(request: HttpRequest):
    device = request.auth
    bundle = ticket_queries.gate_bundle(Event.objects.get(pk=device.event.id))
    return {**bundle, "gate": device.gate, "allow_reentry": device.event.allow_reentry}
