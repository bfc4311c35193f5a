"""Apple Wallet passes (.pkpass), built and signed with `cryptography`.

A pass is a ZIP of pass.json, images, manifest.json (SHA-1 of every other file) and `signature`:
a detached PKCS#7 (CMS) signature of manifest.json, DER, made with the Pass Type ID certificate
and carrying Apple's WWDR intermediate. Entries are stored, not deflated, and dated constantly, so
the same pass content gives the same bytes (and the same ETag).

Pure: the signer is loaded from files named in settings by `PassSigner.from_settings()`; the
content comes in as plain data.
"""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

ZIP_DATE = (2020, 1, 1, 0, 0, 0)
SIGNATURE_OPTIONS = [
    pkcs7.PKCS7Options.DetachedSignature,
    pkcs7.PKCS7Options.Binary,
    pkcs7.PKCS7Options.NoCapabilities,
]


class WalletNotConfigured(Exception):
    """Apple Wallet certificates are not set up (APPLE_PASS_CERT, APPLE_PASS_KEY, APPLE_WWDR_CERT)."""


@dataclass(frozen=True)
class PassSigner:
    certificate: x509.Certificate
    private_key: object
    wwdr: x509.Certificate
    pass_type_id: str
    team_id: str

    @classmethod
    def from_files(cls, *, cert: str, key: str, wwdr: str, pass_type_id: str, team_id: str,
                   key_password: str = "") -> "PassSigner":
        certificate = _load_certificate(Path(cert).read_bytes())
        private_key = serialization.load_pem_private_key(Path(key).read_bytes(), key_password.encode() or None)
        return cls(certificate, private_key, _load_certificate(Path(wwdr).read_bytes()), pass_type_id, team_id)

    @classmethod
    def from_settings(cls) -> "PassSigner":
        from django.conf import settings

        paths = (settings.APPLE_PASS_CERT, settings.APPLE_PASS_KEY, settings.APPLE_WWDR_CERT)
        if not all(paths) or not settings.APPLE_PASS_TYPE_ID or not settings.APPLE_TEAM_ID:
            raise WalletNotConfigured(
                "Apple Wallet is not configured: set APPLE_PASS_CERT, APPLE_PASS_KEY, APPLE_WWDR_CERT, "
                "APPLE_PASS_TYPE_ID and APPLE_TEAM_ID."
            )
        return cls.from_files(
            cert=settings.APPLE_PASS_CERT, key=settings.APPLE_PASS_KEY, wwdr=settings.APPLE_WWDR_CERT,
            pass_type_id=settings.APPLE_PASS_TYPE_ID, team_id=settings.APPLE_TEAM_ID,
            key_password=settings.APPLE_PASS_KEY_PASSWORD,
        )

    def sign(self, manifest: bytes) -> bytes:
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(manifest)
            .add_signer(self.certificate, self.private_key, hashes.SHA256())
            .add_certificate(self.wwdr)
            .sign(serialization.Encoding.DER, SIGNATURE_OPTIONS)
        )


def _load_certificate(data: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)


@dataclass(frozen=True)
class PassContent:
    """What a ticket's pass shows; times are aware datetimes, texts already in the venue's terms."""

    serial_number: str
    authentication_token: str
    web_service_url: str
    organization_name: str
    description: str
    code: str
    ticket_number: str
    event_name: str
    date_text: str
    venue_name: str
    venue_address: str
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    guest_name: str
    area: str
    unit: str
    seat: str
    package_name: str
    entitlements: tuple[str, ...]
    requirements: str
    terms: tuple[str, ...]
    background: str
    foreground: str
    label: str
    latitude: float | None = None
    longitude: float | None = None
    voided: bool = False


def rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return f"rgb({int(value[0:2], 16)}, {int(value[2:4], 16)}, {int(value[4:6], 16)})"


def pass_json(content: PassContent, signer: PassSigner) -> dict:
    barcode = {
        "format": "PKBarcodeFormatQR",
        "message": content.code,
        "messageEncoding": "iso-8859-1",
        "altText": content.ticket_number,
    }
    data = {
        "formatVersion": 1,
        "passTypeIdentifier": signer.pass_type_id,
        "teamIdentifier": signer.team_id,
        "serialNumber": content.serial_number,
        "authenticationToken": content.authentication_token,
        "webServiceURL": content.web_service_url,
        "organizationName": content.organization_name,
        "description": content.description,
        "logoText": content.event_name,
        "backgroundColor": rgb(content.background),
        "foregroundColor": rgb(content.foreground),
        "labelColor": rgb(content.label),
        "barcodes": [barcode],
        "barcode": barcode,  # iOS 8 and earlier read only this key
        "relevantDate": content.starts_at.isoformat(),
        "relevantDates": [{"startDate": content.starts_at.isoformat(), "endDate": content.ends_at.isoformat()}],
        "expirationDate": content.expires_at.isoformat(),
        "voided": content.voided,
        "sharingProhibited": True,
        "eventTicket": {
            "headerFields": [{"key": "date", "label": "DATE", "value": content.date_text}],
            "primaryFields": [{"key": "event", "label": "EVENT", "value": content.event_name}],
            "secondaryFields": [
                {"key": "guest", "label": "GUEST", "value": content.guest_name or "To be named"},
                {"key": "venue", "label": "VENUE", "value": content.venue_name},
            ],
            "auxiliaryFields": [
                {"key": "area", "label": "AREA", "value": content.area},
                {"key": "unit", "label": "UNIT", "value": content.unit},
                {"key": "seat", "label": "SEAT", "value": content.seat},
            ],
            "backFields": [
                {"key": "ticket", "label": "Ticket number", "value": content.ticket_number},
                {"key": "package", "label": "Package", "value": content.package_name},
                {"key": "entitlements", "label": "Your hospitality",
                 "value": "\n".join(content.entitlements) or "Entry"},
                {"key": "requirements", "label": "Guest notes", "value": content.requirements or "None noted"},
                {"key": "address", "label": "Venue", "value": content.venue_address or content.venue_name},
                {"key": "terms", "label": "Conditions of entry", "value": "\n\n".join(content.terms) or
                 "This ticket admits one guest, once. If it is reissued, earlier copies stop working."},
            ],
        },
    }
    if content.latitude is not None and content.longitude is not None:
        data["locations"] = [{
            "latitude": content.latitude, "longitude": content.longitude,
            "relevantText": f"Welcome to {content.venue_name}",
        }]
    if content.voided:
        data["eventTicket"]["headerFields"] = [{"key": "status", "label": "STATUS", "value": "VOID"}]
    return data


def build_pkpass(content: PassContent, images: dict[str, bytes], signer: PassSigner) -> bytes:
    """The signed .pkpass archive for `content`; `images` maps file names (icon.png, logo.png...) to PNG bytes."""
    files = {"pass.json": json.dumps(pass_json(content, signer), ensure_ascii=False, indent=1).encode("utf-8")}
    files.update(images)
    manifest = json.dumps(
        {name: hashlib.sha1(data, usedforsecurity=False).hexdigest() for name, data in sorted(files.items())},
        indent=1,
    ).encode("utf-8")
    files["manifest.json"] = manifest
    files["signature"] = signer.sign(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)
    return buffer.getvalue()
