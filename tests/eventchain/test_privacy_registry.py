"""The personal-data classification: complete for every app, used by erasure, and documented without drift."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models

from eventchain import privacy
from eventchain.management.commands.pii_inventory import docs_path, documented_table

PROJECT_APPS = {"eventchain", "buyers", "allocation", "finance", "tickets", "distribution", "reporting"}


def test_every_personal_looking_column_is_classified_or_declared_not_personal():
    classified = {(model._meta.label, name) for model, fields in privacy.registry().items() for name in fields}
    declared = {(label, name) for label, fields in privacy.not_personal().items() for name in fields}
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for column in model._meta.concrete_fields:
            if column.is_relation or not privacy.looks_personal(column.name):
                continue
            if (model._meta.label, column.name) not in classified | declared:
                missing.append(f"{model._meta.label}.{column.name}")
    assert missing == [], "classify these in the lane's pii.py (eventchain/privacy.py)"


def test_every_registered_field_exists_and_email_columns_identify_the_person():
    for model, fields in privacy.registry().items():
        for name, rule in fields.items():
            column = model._meta.get_field(name)  # raises for a typo or a removed column
            if isinstance(column, models.EmailField) and rule.category == privacy.Category.CONTACT:
                assert rule.subject, f"{model._meta.label}.{name} holds a person's email: mark it subject=True"
    assert "tickets.Guest" in {model._meta.label for model in privacy.registry()}


def test_looks_personal_catches_new_fields():
    for name in ("email", "guest_email", "phone", "first_name", "last_name", "address_line1", "notes", "requested_ip"):
        assert privacy.looks_personal(name), name
    for name in ("status", "created_at", "headcount", "kind"):
        assert not privacy.looks_personal(name), name


def test_erased_values_fit_their_columns_and_are_stable():
    from tickets.models import Guest

    rule = privacy.rules_for(Guest)["email"]
    column = Guest._meta.get_field("email")
    first = privacy.erased_value(column, rule, "Pat@Acme.example")
    assert first == privacy.erased_value(column, rule, "pat@acme.example") == privacy.pseudonym_email("pat@acme.example")
    assert privacy.erased_value(column, rule, first) == first  # idempotent
    name = privacy.erased_value(Guest._meta.get_field("name"), privacy.rules_for(Guest)["name"], "Pat Lee", seed="p@x")
    assert name.startswith(privacy.ANONYMOUS_NAME) and "Pat" not in name
    mask = privacy.masker(["pat@acme.example"], ["Pat Lee"], ["+61 2 5550 1234"])
    assert privacy.mask_value({"to": "PAT@acme.example", "note": ["Pat Lee called on 0061255501234? no: 02 5550 1234"]},
                              mask) == {"to": privacy.pseudonym_email("pat@acme.example"),
                                        "note": ["[erased] called on 0061255501234? no: 02 5550 1234"]}
    assert "5550" not in mask("ring +61 2 5550 1234 or +61255501234")


def test_anonymised_identifiers_stay_distinct_for_unique_constraints():
    from tickets.models import AppleRegistration

    rule = privacy.rules_for(AppleRegistration)["device_library_id"]
    column = AppleRegistration._meta.get_field("device_library_id")
    first, second = (privacy.erased_value(column, rule, device, seed="p@x") for device in ("phone-a", "phone-b"))
    assert first != second and privacy.is_erased(first)
    assert privacy.erased_value(column, rule, first, seed="p@x") == first


def test_docs_inventory_matches_the_code():
    text = docs_path().read_text()
    assert documented_table(text) == privacy.inventory_markdown(), "run: python manage.py pii_inventory --write"
    assert Path(settings.BASE_DIR, "docs", "privacy.md") == docs_path()


def test_inventory_command_prints_every_classified_field(capsys):
    call_command("pii_inventory")
    out = capsys.readouterr().out
    assert out == privacy.inventory_markdown()
    assert "| tickets.Guest | email | contact | anonymise | guest_contact | yes |" in out


@pytest.mark.parametrize("strategy", list(privacy.Strategy))
def test_every_strategy_is_documented(strategy):
    assert f"`{strategy.value}`" in docs_path().read_text()
