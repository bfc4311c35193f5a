"""docs/roles.md is generated from the code where it states facts, so it cannot drift from it."""

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from eventchain import permissions_map, roles

DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"


def test_the_documented_matrix_is_the_one_in_roles_py():
    matrix = permissions_map.matrix_markdown()
    assert matrix in DOC.read_text(), "docs/roles.md is stale: run `python manage.py roles_matrix --write`"
    for capability in roles.CAPABILITIES:
        assert f"| `{capability}` |" in matrix


def test_the_whole_generated_reference_matches_the_code(db):
    """Console pages, API endpoints and services per capability too (a new page means regenerating)."""
    printed = StringIO()
    call_command("roles_matrix", stdout=printed)
    assert permissions_map.documented_reference(DOC.read_text()) == printed.getvalue().strip(), (
        "docs/roles.md is stale: run `python manage.py roles_matrix --write`")


def test_the_matrix_marks_exactly_the_capabilities_each_role_holds():
    rows = [line for line in permissions_map.matrix_markdown().splitlines() if line.startswith("| `")]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        capability = cells[0].strip("`")
        for role, mark in zip(roles.ROLES, cells[1:], strict=True):
            assert (mark == "✓") == (capability in roles.ROLES[role][1])
