"""Field-level personal data classification: what each column holds, and what erasure does to it.

The kernel imports no lane, so every lane declares its own columns in `<lane>/pii.py` and registers them
from `AppConfig.ready()`. Exports (reporting/privacy), log redaction (eventchain/logredact.py), the
retention schedule and DSAR erasure all read this one registry; `manage.py pii_inventory` prints it as the
table in docs/privacy.md.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.conf import settings
from django.db import models


class Category(StrEnum):
    CONTACT = "contact"  # name, email, phone, postal address of a person
    IDENTIFIER = "identifier"  # ties a row to a person or device: IP address, user agent, device id
    SECRET = "secret"  # credentials and private keys: encrypted at rest, never exported
    FINANCIAL = "financial"  # tax invoice details: legal hold for the tax period
    FREE_TEXT = "free_text"  # typed text that may mention people (notes, requirements, summaries)
    PAYLOAD = "payload"  # raw bodies and JSON documents that may carry any of the above


class Strategy(StrEnum):
    ERASE = "erase"  # blanked ("" / "[erased]" / {} / b"")
    ANONYMISE = "anonymise"  # replaced by a stable pseudonym, so unique keys and counts survive
    MASK = "mask"  # the person's email and name are masked inside the text; the rest stays
    KEEP_FOR_TAX = "keep_for_tax"  # legal hold: kept until the tax period after the event ends
    ENCRYPTED = "encrypted"  # a secret, not personal data: encrypted at rest, left alone by erasure
    HASHED = "hashed"  # a bearer token or link token: only its SHA-256 is stored, nothing to erase
    PLAINTEXT_SECRET = "plaintext_secret"  # a known gap: a credential still stored as is (docs/privacy.md)


class Retention(StrEnum):
    """Which per-event retention clock (reporting.RetentionPolicy) erases the field."""

    GUEST_CONTACT = "guest_contact"
    SCANS = "scans"
    FINANCIAL = "financial"
    NONE = "none"  # kept while the row lives (masked by DSAR only)


@dataclass(frozen=True)
class FieldRule:
    category: Category
    strategy: Strategy
    retention: Retention = Retention.GUEST_CONTACT
    # True for the column that says whose row it is: a DSAR finds rows by it (an email column).
    subject: bool = False
    # Rows about two people (a transfer's "from" and "to"): erasure touches only the matched person's group.
    group: str = ""
    why: str = ""


ERASED = "[erased]"
ERASED_DOMAIN = "erased.invalid"

_registry: dict[str, dict[str, FieldRule]] = {}
_not_personal: dict[str, dict[str, str]] = {}


def register(model: type[models.Model] | str, fields: dict[str, FieldRule]) -> None:
    """Declare a model's personal or secret columns. Called from the lane's AppConfig.ready()."""
    label = model if isinstance(model, str) else model._meta.label
    current = _registry.setdefault(label, {})
    current.update(fields)


def register_many(declarations: dict) -> None:
    for model, fields in declarations.items():
        register(model, fields)


def declare_not_personal(model: type[models.Model] | str, fields: dict[str, str]) -> None:
    """Columns whose names look personal but are not ({field: why}), so the inventory test accepts them."""
    label = model if isinstance(model, str) else model._meta.label
    _not_personal.setdefault(label, {}).update(fields)


def not_personal() -> dict[str, dict[str, str]]:
    return {label: dict(fields) for label, fields in sorted(_not_personal.items())}


def registry() -> dict[type[models.Model], dict[str, FieldRule]]:
    """Every registered model with its classified fields, in a stable order."""
    return {apps.get_model(label): dict(fields) for label, fields in sorted(_registry.items())}


def rules_for(model: type[models.Model]) -> dict[str, FieldRule]:
    return dict(_registry.get(model._meta.label, {}))


def fields_in(category: Category) -> list[tuple[type[models.Model], str, FieldRule]]:
    return [(model, name, rule) for model, fields in registry().items()
            for name, rule in fields.items() if rule.category == category]


def subject_fields(model: type[models.Model]) -> list[str]:
    return [name for name, rule in rules_for(model).items() if rule.subject]


# Names that say "this column is about a person"; the inventory test fails on any unclassified one.
PERSONAL_NAME = re.compile(
    r"(^|_)(email|phone|mobile|name|first_name|last_name|address|address_line\d|notes?|requirements|"
    r"ip|user_agent|postcode|recipient|sent_to|uploaded_by|requested_by|actor_label|created_by)($|_)"
)


def looks_personal(field_name: str) -> bool:
    return bool(PERSONAL_NAME.search(field_name))


def pseudonym(value: str, *, purpose: str = "person") -> str:
    """A stable, keyed stand-in: the same email always gives the same pseudonym, which reveals nothing."""
    key = hashlib.sha256(f"{settings.SECRET_KEY}:privacy:{purpose}".encode()).digest()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def pseudonym_email(email: str) -> str:
    return f"erased-{pseudonym(email)}@{ERASED_DOMAIN}"


ANONYMOUS_NAME = "Erased person "
ERASED_ID = "erased-id-"


def is_erased(value) -> bool:
    """Already erased or anonymised: erasing again changes nothing (retention runs are idempotent)."""
    return isinstance(value, str) and (value == ERASED or value.endswith(f"@{ERASED_DOMAIN}")
                                       or value.startswith((ANONYMOUS_NAME, ERASED_ID)))


def erased_value(field: models.Field, rule: FieldRule, current, *, seed: str = ""):
    """The value a column takes when erased or anonymised (respecting the column's type and length)."""
    if current in (None, "", b"", {}, []) or is_erased(current):
        return current
    if isinstance(field, models.JSONField):
        return type(current)() if isinstance(current, (dict, list)) else None
    if isinstance(field, models.BinaryField):
        return b""
    if isinstance(field, models.GenericIPAddressField):
        return None
    if isinstance(field, models.EmailField):
        return pseudonym_email(seed or str(current))
    if rule.strategy == Strategy.ANONYMISE and rule.category == Category.IDENTIFIER:
        # Seeded by the value itself: two devices of one person stay two distinct (unique) rows.
        value = f"{ERASED_ID}{pseudonym(str(current), purpose='identifier')}"
    elif rule.strategy == Strategy.ANONYMISE:
        value = f"{ANONYMOUS_NAME}{pseudonym(seed or str(current))[:8]}"
    else:
        value = ERASED
    max_length = getattr(field, "max_length", None)
    return value[:max_length] if max_length else value


def _phone_pattern(phone: str) -> re.Pattern | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    # "+61 4 1234 5678", "+61412345678" and "0412-345-678" style spellings of the same number.
    return re.compile(r"(?<!\d)" + r"[\s().-]*".join(digits) + r"(?!\d)")


def masker(emails: list[str], names: list[str], phones: list[str] = ()):
    """A function replacing each email (any case) by its pseudonym, and each name and phone by [erased]."""
    patterns = [(re.compile(re.escape(email), re.IGNORECASE), pseudonym_email(email)) for email in emails if email]
    patterns += [(pattern, ERASED) for pattern in map(_phone_pattern, phones) if pattern]
    patterns += [(re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE), ERASED)
                 for name in sorted({n for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True)]

    def mask(text: str) -> str:
        for pattern, replacement in patterns:
            text = pattern.sub(replacement, text)
        return text

    return mask


def mask_value(value, mask):
    """Mask strings anywhere inside a JSON value, bytes (UTF-8) or text; other values unchanged."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, (bytes, memoryview)):
        raw = bytes(value)
        try:
            return mask(raw.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return raw
    if isinstance(value, dict):
        return {mask(k) if isinstance(k, str) else k: mask_value(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(item, mask) for item in value]
    return value


def inventory_rows() -> list[tuple[str, str, FieldRule]]:
    return [(model._meta.label, name, rule) for model, fields in registry().items() for name, rule in fields.items()]


def inventory_markdown() -> str:
    """The classification as the Markdown table in docs/privacy.md (`manage.py pii_inventory`)."""
    lines = ["| model | field | category | strategy | retention clock | finds the person | why |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, name, rule in inventory_rows():
        subject = f"yes ({rule.group})" if rule.subject and rule.group else ("yes" if rule.subject else "")
        lines.append(f"| {label} | {name} | {rule.category} | {rule.strategy} | {rule.retention} | {subject} | "
                     f"{rule.why} |")
    return "\n".join(lines) + "\n"
