"""DSAR export: everything found about a person as a ZIP of `person.json` (by lane and model) and one CSV per model.

Secrets (encrypted keys, token hashes) are never exported; binary payloads are exported as text when they
are UTF-8 (a raw CRM body) and as a note otherwise (an uploaded spreadsheet).
"""

import csv
import io
import json
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from eventchain import privacy

from .people import Person, find_person

SECRET_STRATEGIES = (privacy.Strategy.ENCRYPTED, privacy.Strategy.HASHED, privacy.Strategy.PLAINTEXT_SECRET)


def _value(column: models.Field, value):
    if isinstance(value, (bytes, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"[binary file, {len(raw)} bytes]"
    return value


def rows_for(person: Person) -> dict[str, dict[str, list[dict]]]:
    """{lane: {model label: [row dict]}} with every concrete column except secrets, plus how it was found."""
    data: dict[str, dict[str, list[dict]]] = {}
    for model, found in sorted(person.rows.items(), key=lambda item: item[0]._meta.label):
        rules = privacy.rules_for(model)
        columns = [c for c in model._meta.concrete_fields
                   if not (c.name in rules and rules[c.name].strategy in SECRET_STRATEGIES)]
        rows = []
        for row in model.objects.filter(pk__in=list(found)).order_by("pk"):
            item = {"found_as": found[row.pk].how}
            item.update({c.attname: _value(c, getattr(row, c.attname)) for c in columns})
            rows.append(item)
        data.setdefault(model._meta.app_label, {})[model._meta.label] = rows
    return data


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    headers = list(rows[0]) if rows else []
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: json.dumps(value, cls=DjangoJSONEncoder) if isinstance(value, (dict, list))
                         else value for key, value in row.items()})
    return out.getvalue()


def export_person(email: str) -> tuple[str, bytes]:
    """(file name, ZIP bytes) of everything about `email`."""
    person = find_person(email)
    data = rows_for(person)
    document = {"email": person.email, "exported_at": timezone.now(), "counts": person.counts(), "data": data}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("person.json", json.dumps(document, cls=DjangoJSONEncoder, indent=2))
        for models_rows in data.values():
            for label, rows in models_rows.items():
                archive.writestr(f"{label}.csv", _csv(rows))
    stamp = timezone.now().strftime("%Y%m%d")
    return f"dsar-{privacy.pseudonym(person.email, purpose='dsar')[:10]}-{stamp}.zip", buffer.getvalue()


def export_for_request(*, email: str, actor) -> tuple[str, bytes]:
    """The DSAR export, audited (with the DSAR reference and counts, never the email)."""
    from eventchain import audit
    from eventchain.roles import authorize

    from .erase import reference_for

    authorize(actor, "manage_privacy")
    name, content = export_person(email)
    reference = reference_for(email)
    audit.record(actor, "reporting.dsar_exported", f"Personal data exported for {reference}",
                 object_type="privacy.dsar", object_id=reference, data={"reference": reference, "bytes": len(content)})
    return name, content
