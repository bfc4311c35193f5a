"""Read a guest list from a CSV or XLSX file into rows, with errors that name the spreadsheet row.

The first row is a header naming the columns (any order, any case): name (required), email, phone,
requirements. Blank rows are skipped. Row numbers in errors are the ones the buyer sees in their
spreadsheet (the header is row 1).
"""

import csv
import io
from dataclasses import dataclass, field

import openpyxl

COLUMNS = ("name", "email", "phone", "requirements")
ALIASES = {
    "name": "name", "guest": "name", "guest name": "name", "full name": "name",
    "email": "email", "email address": "email", "e-mail": "email",
    "phone": "phone", "mobile": "phone", "phone number": "phone",
    "requirements": "requirements", "dietary": "requirements", "dietary requirements": "requirements",
    "notes": "requirements",
}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)  # spreadsheet row of each entry in `rows`
    errors: list[dict] = field(default_factory=list)  # {"row": int | None, "field": str | None, "message": str}


def _cells(filename: str, data: bytes) -> list[list[str]]:
    if filename.lower().endswith(".xlsx"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — any unreadable workbook gets the same answer
            raise ValueError("The file is not a readable .xlsx workbook. Save it from Excel as .xlsx, or use CSV.") \
                from exc
        sheet = book.worksheets[0]
        rows = [["" if cell is None else str(cell).strip() for cell in row]
                for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1)]
        book.close()
        return rows
    if filename.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raise ValueError("Upload a .csv or .xlsx file.")


def parse(filename: str, data: bytes) -> Parsed:
    result = Parsed()
    if len(data) > MAX_BYTES:
        result.errors.append({"row": None, "field": None, "message": "The file is larger than 2 MB."})
        return result
    try:
        cells = _cells(filename, data)
    except ValueError as exc:
        result.errors.append({"row": None, "field": None, "message": str(exc)})
        return result
    if not cells:
        result.errors.append({"row": None, "field": None, "message": "The file is empty."})
        return result
    header = [ALIASES.get(cell.strip().lower(), "") for cell in cells[0]]
    if "name" not in header:
        result.errors.append({"row": 1, "field": None, "message": (
            "The first row must name the columns; a 'name' column is required "
            f"(recognised: {', '.join(COLUMNS)}).")})
        return result
    for number, values in enumerate(cells[1:MAX_ROWS + 1], start=2):
        if not any(values):
            continue
        row = {column: "" for column in COLUMNS}
        for column, value in zip(header, values, strict=False):
            if column:
                row[column] = value
        result.rows.append(row)
        result.row_numbers.append(number)
    if len(cells) > MAX_ROWS + 1:
        result.errors.append({"row": None, "field": None, "message": f"Only the first {MAX_ROWS} rows are read."})
    return result


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["Alex Guest", "alex@example.com", "+61 400 000 000", "Vegetarian"])
    return out.getvalue()
