"""Server-rendered SVG bar charts. Each chart carries its numbers as a table too (templates show both).

A chart is plain data here; `templates/reporting/_chart.html` draws it, so the same chart renders in
the console, the portal and the PDF (WeasyPrint draws inline SVG).
"""

from dataclasses import dataclass, field
from decimal import Decimal

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 120
PLOT_WIDTH = 240
VALUE_WIDTH = 80
# Presentation attributes, not CSS: WeasyPrint draws inline SVG without the page's stylesheet.
TONES = {"brand": "#0b5cad", "ok": "#17773d", "bad": "#b3261e", "warn": "#9a6700", "info": "#4f7fb8"}
TRACK = "#eef1f5"


@dataclass
class Bar:
    label: str
    value: Decimal | int
    display: str
    width: float = 0.0
    y: int = 0
    tone: str = "brand"

    @property
    def colour(self) -> str:
        return TONES.get(self.tone, TONES["brand"])


@dataclass
class Chart:
    ident: str
    title: str
    description: str
    unit: str
    bars: list[Bar] = field(default_factory=list)

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * (BAR_HEIGHT + GAP) + GAP

    @property
    def width(self) -> int:
        return LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH

    @property
    def plot_width(self) -> int:
        return PLOT_WIDTH

    @property
    def label_width(self) -> int:
        return LABEL_WIDTH

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + PLOT_WIDTH + 6

    @property
    def track(self) -> str:
        return TRACK

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def bar_chart(ident: str, title: str, unit: str, rows: list[tuple], description: str = "") -> Chart:
    """rows: (label, value) or (label, value, display, tone). Widths scale to the largest value."""
    bars = []
    for row in rows:
        label, value = row[0], row[1]
        display = row[2] if len(row) > 2 and row[2] is not None else f"{value:,}"
        tone = row[3] if len(row) > 3 else "brand"
        bars.append(Bar(label=str(label), value=value, display=display, tone=tone))
    top = max((Decimal(bar.value) for bar in bars), default=Decimal(0))
    for index, bar in enumerate(bars):
        bar.width = float(Decimal(bar.value) / top * PLOT_WIDTH) if top else 0.0
        bar.y = GAP + index * (BAR_HEIGHT + GAP)
    summary = "; ".join(f"{bar.label}: {bar.display}" for bar in bars)
    return Chart(ident=ident, title=title, description=description or summary, unit=unit, bars=bars)


def report_charts(report: dict) -> list[Chart]:
    """The charts of an event or booking report, from its figures (no further queries)."""
    charts = []
    yielded = report["yield"]
    if yielded["by_package"]:
        charts.append(bar_chart(
            "revenue-by-package", "Revenue by package (ex tax)", report["finance"]["currency"],
            [(row["package"], Decimal(row["revenue"]), f"{Decimal(row['revenue']):,.2f}") for row in yielded["by_package"]],
        ))
    capacity = report.get("capacity")
    if capacity:
        charts.append(bar_chart("capacity", "Seats", "seats", [
            ("Allocated", yielded["allocated"], None, "brand"),
            ("Comps", yielded["comps"], None, "info"),
            ("Available", capacity["available"], None, "ok"),
            ("Held or blocked", capacity["held"] + capacity["blocked"], None, "warn"),
        ]))
    delivery = report["channel_mix"]["delivery"]
    charts.append(bar_chart("delivery", "Tickets by delivery channel", "tickets", [
        ("Buyer bundle", delivery["buyer_bundle"]), ("Direct to guest", delivery["direct_to_guest"]),
        ("Portal collect", delivery["portal_collect"]),
    ]))
    formats = report["channel_mix"]["format"]
    charts.append(bar_chart("formats", "Ticket formats used", "tickets", [
        ("PDF", formats["pdf"]), ("Apple Wallet", formats["apple"]), ("Google Wallet", formats["google"]),
    ]))
    attendance = report["attendance"]
    pending = max(attendance["tickets"] - attendance["admitted"] - attendance["no_show"], 0)
    charts.append(bar_chart("attendance", "Attendance", "guests", [
        ("Admitted", attendance["admitted"], None, "ok"), ("No-show", attendance["no_show"], None, "bad"),
        ("Not yet scanned", pending, None, "info"),
    ]))
    return charts
