"""Report exports: CSV (one tidy table), XLSX (summary and breakdown sheets) and PDF (WeasyPrint)."""

import csv
import io
from decimal import Decimal

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Font

BREAKDOWNS = (("by_package", "package", "Yield by package"), ("by_area", "area", "Yield by area"))
YIELD_KEYS = ("units", "allocated", "comps", "passes", "revenue", "revenue_per_unit", "revenue_per_head")


def _value(raw):
    """Money and ratio strings become numbers in a spreadsheet; everything else stays as it is."""
    if isinstance(raw, str):
        try:
            return Decimal(raw)
        except ArithmeticError:
            return raw
    return raw


def summary_rows(report: dict) -> list[tuple[str, str, object]]:
    """(section, metric, value) for every single figure of the report, in reading order."""
    rows = []
    for section in ("booking", "event", "capacity", "yield", "channel_mix", "finance", "attendance", "tickets"):
        block = report.get(section)
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            if isinstance(value, dict):
                rows.extend((section, f"{key}.{inner}", inner_value) for inner, inner_value in value.items())
            elif not isinstance(value, list):
                rows.append((section, key, value))
    return rows


def breakdown_rows(report: dict, key: str, name: str) -> tuple[list[str], list[list]]:
    header = [name, "capacity", *YIELD_KEYS] if key == "by_area" else [name, "name", *YIELD_KEYS]
    body = []
    for row in report["yield"][key]:
        first = [row[name], row.get("capacity") if key == "by_area" else row.get("name")]
        body.append(first + [row[k] for k in YIELD_KEYS])
    return header, body


def to_csv(report: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "metric", "value"])
    writer.writerows(summary_rows(report))
    for key, name, title in BREAKDOWNS:
        header, body = breakdown_rows(report, key, name)
        for row in body:
            for column, value in zip(header[2:], row[2:], strict=True):
                writer.writerow([title.lower(), f"{row[0]}.{column}", value])
    return out.getvalue().encode("utf-8")


def to_xlsx(report: dict) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append(["Section", "Metric", "Value"])
    for section, metric, value in summary_rows(report):
        sheet.append([section, metric, _value(value)])
    for key, name, title in BREAKDOWNS:
        tab = book.create_sheet(title[:31])
        header, body = breakdown_rows(report, key, name)
        tab.append(header)
        for row in body:
            tab.append([_value(value) for value in row])
    for tab in book.worksheets:
        for cell in tab[1]:
            cell.font = Font(bold=True)
        tab.column_dimensions["A"].width = 22
        tab.column_dimensions["B"].width = 26
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: dict, charts: list, title: str) -> bytes:
    from weasyprint import HTML

    html = render_to_string("reporting/report_print.html", {"report": report, "charts": charts, "title": title})
    return HTML(string=html).write_pdf()
