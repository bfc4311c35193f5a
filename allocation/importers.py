"""Reading files people upload: venue layouts (CSV) and allocation requests (CSV or XLSX).

Row numbers are the spreadsheet's: the header is row 1, the first data row is row 2.
"""

import csv
import io
from dataclasses import dataclass

from eventchain.errors import ValidationFailed
from eventchain.models import InventoryKind

LAYOUT_COLUMNS = ("area", "kind", "label", "capacity", "row", "number")
PARENT_KINDS = {InventoryKind.TABLE, InventoryKind.SUITE, InventoryKind.BOX}
MAX_ROWS = 20000


@dataclass(frozen=True)
class LayoutRow:
    line: int
    area: str
    kind: str
    label: str
    capacity: int
    row: str
    number: int | None
    parent: str


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file is not UTF-8 text; save it as 'CSV UTF-8' and try again.",
                               field="file") from exc


def _header(names: list[str]) -> list[str]:
    return [(name or "").strip().lower().replace(" ", "_") for name in names]


def _whole(value: str, minimum: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= minimum else None


def parse_layout(content: bytes, *, existing_labels: set[str] = frozenset()) -> list[LayoutRow]:
    """Validate every row; raise ValidationFailed listing each bad row, or return all rows."""
    reader = csv.reader(io.StringIO(_text(content)))
    header = _header(next(reader, []))
    missing = [c for c in LAYOUT_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(f"The header row must name the columns {', '.join(LAYOUT_COLUMNS)} (and optionally "
                               f"parent); missing: {', '.join(missing)}.", field="file")
    index = {name: header.index(name) for name in (*LAYOUT_COLUMNS, "parent") if name in header}
    kinds = set(InventoryKind.values)
    errors: list[dict] = []
    rows: list[LayoutRow] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append({"field": "file", "message": f"row {line}: a layout may have at most {MAX_ROWS} rows"})
            break

        def cell(name, cells=cells):
            i = index.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        problems = []
        area, kind, label = cell("area"), cell("kind").lower(), cell("label").upper()
        if not area:
            problems.append("area is required")
        elif len(area) > 100:
            problems.append("area must be at most 100 characters")
        if kind not in kinds:
            problems.append(f"kind must be one of {', '.join(sorted(kinds))}")
        if not label:
            problems.append("label is required")
        elif len(label) > 40:
            problems.append("label must be at most 40 characters")
        elif label in existing_labels:
            problems.append(f"label {label} already exists at this venue")
        elif label in seen:
            problems.append(f"label {label} is repeated (first on row {seen[label]})")
        capacity = _whole(cell("capacity"), 1)
        if capacity is None:
            problems.append("capacity must be a whole number ≥ 1")
        number = None
        if cell("number"):
            number = _whole(cell("number"), 1)
            if number is None:
                problems.append("number must be a whole number ≥ 1, or empty")
        row_name = cell("row")
        if len(row_name) > 10:
            problems.append("row must be at most 10 characters")
        parent = cell("parent").upper()
        if parent and kind != InventoryKind.SEAT:
            problems.append("only seats can have a parent")
        for problem in problems:
            errors.append({"field": "file", "message": f"row {line}: {problem}"})
        if label and label not in seen:
            seen[label] = line
        if not problems:
            rows.append(LayoutRow(line=line, area=area, kind=kind, label=label, capacity=capacity, row=row_name,
                                  number=number, parent=parent))
    by_label = {r.label: r for r in rows}
    for row in rows:
        if not row.parent:
            continue
        parent = by_label.get(row.parent)
        if parent is None:
            errors.append({"field": "file", "message": f"row {row.line}: parent {row.parent} is not a unit in this "
                                                       "file"})
        elif parent.kind not in PARENT_KINDS:
            errors.append({"field": "file", "message": f"row {row.line}: parent {row.parent} is a {parent.kind}; "
                                                       "seats sit inside a table, suite or box"})
        elif parent.area.lower() != row.area.lower():
            errors.append({"field": "file", "message": f"row {row.line}: parent {row.parent} is in {parent.area}, "
                                                       f"not {row.area}"})
    if errors:
        errors.sort(key=lambda e: int(e["message"].split(":")[0].split()[1]) if e["message"].startswith("row ")
                    else 0)
        raise ValidationFailed.from_list(errors)
    if not rows:
        raise ValidationFailed("The file has a header but no units.", field="file")
    return rows


# ---------------------------------------------------------------- allocation requests

REQUEST_ALIASES = {
    "booking": "booking", "booking_reference": "booking", "reference": "booking", "booking_id": "booking",
    "package": "package", "package_code": "package",
    "headcount": "headcount", "guests": "headcount",
    "preferred_area": "preferred_area", "area": "preferred_area",
    "requested_units": "units", "units": "units",
}


@dataclass(frozen=True)
class RequestRow:
    line: int
    booking: str
    package: str
    headcount: str
    preferred_area: str
    units: str


def parse_requests(file_name: str, content: bytes) -> list[RequestRow]:
    """Rows of a CSV or XLSX file with a header naming at least the booking column."""
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        table = _xlsx_rows(content)
    else:
        table = list(csv.reader(io.StringIO(_text(content))))
    if not table:
        raise ValidationFailed("The file is empty.", field="file")
    header = [REQUEST_ALIASES.get(name, name) for name in _header([str(c or "") for c in table[0]])]
    if "booking" not in header:
        raise ValidationFailed("The header row must name a 'booking' column (reference like BK-00012 or id); "
                               "optional: package, headcount, preferred area, requested units.", field="file")
    index = {name: header.index(name) for name in ("booking", "package", "headcount", "preferred_area", "units")
             if name in header}
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        values = ["" if c is None else str(c).strip() for c in cells]
        if not any(values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(f"A file may have at most {MAX_ROWS} requests; split it.", field="file")

        def cell(name, values=values):
            i = index.get(name)
            return values[i] if i is not None and i < len(values) else ""

        rows.append(RequestRow(line=line, booking=cell("booking"), package=cell("package"),
                               headcount=_plain_number(cell("headcount")), preferred_area=cell("preferred_area"),
                               units=cell("units")))
    if not rows:
        raise ValidationFailed("The file has a header but no requests.", field="file")
    return rows


def _plain_number(value: str) -> str:
    # Spreadsheets hand numbers back as floats ("12.0").
    return value[:-2] if value.endswith(".0") else value


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise ValidationFailed("The file is not a readable .xlsx workbook.", field="file") from exc
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
