"""What goes on an invoice or credit note: lines priced from a manifest, deltas between versions, schedules.

Pure calculations on rows already loaded; services.py writes the results. A line's identity is
(package, unit amount, comp): units of the same package at the same price are one line with a
quantity, so a new manifest version that only swaps a table for another changes nothing financially.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from eventchain import money

MAX_LABELS = 12
LineKey = tuple[int, Decimal, bool]


@dataclass(frozen=True)
class PricedLine:
    package_id: int
    description: str
    quantity: Decimal
    unit_amount: Decimal
    tax_rate: Decimal
    account_code: str
    tax_type: str
    is_comp: bool

    @property
    def key(self) -> LineKey:
        return (self.package_id, money.to_cents(self.unit_amount), self.is_comp)

    @property
    def money(self) -> money.Line:
        return money.Line(self.description, self.quantity, self.unit_amount, self.tax_rate)

    @property
    def line_amount(self) -> Decimal:
        return self.money.line_amount

    @property
    def tax_amount(self) -> Decimal:
        return self.money.tax_amount


@dataclass(frozen=True)
class ScheduledPart:
    label: str
    due_date: date
    amount: Decimal


def _labels(labels: list[str]) -> str:
    unique = sorted(set(labels))
    shown = ", ".join(unique[:MAX_LABELS])
    return shown + (f" and {len(unique) - MAX_LABELS} more" if len(unique) > MAX_LABELS else "")


def _describe(package, event, labels: list[str], comp: bool, verb: str = "") -> str:
    local = timezone.localtime(event.starts_at, event.tz)
    when = f"{local.day} {local:%b %Y}"
    head = f"{'Complimentary: ' if comp else ''}{package.name} ({package.code}), {event.name} {when}"
    return f"{head} — {verb}{_labels(labels)}" if labels else head


def manifest_lines(manifest) -> list[PricedLine]:
    """One line per (package, unit price, comp) in the manifest, in a stable order (paid first)."""
    event = manifest.booking.event
    grouped: dict[LineKey, dict] = {}
    for line in manifest.lines.all():
        key = (line.package_id, money.to_cents(line.unit_price), line.comp)
        group = grouped.setdefault(key, {"package": line.package, "quantity": Decimal(0), "labels": []})
        group["quantity"] += line.quantity
        group["labels"].append(line.label)
    lines = [
        PricedLine(package_id=key[0], description=_describe(g["package"], event, g["labels"], key[2]),
                   quantity=g["quantity"], unit_amount=key[1], tax_rate=g["package"].tax_rate,
                   account_code=g["package"].ledger_account_code, tax_type=g["package"].ledger_tax_type,
                   is_comp=key[2])
        for key, g in grouped.items()
    ]
    return sorted(lines, key=lambda ln: (ln.is_comp, ln.package_id, -ln.unit_amount))


def labels_by_key(manifest) -> dict[LineKey, list[str]]:
    found: dict[LineKey, list[str]] = defaultdict(list)
    if manifest is not None:
        for line in manifest.lines.all():
            found[(line.package_id, money.to_cents(line.unit_price), line.comp)].append(line.label)
    return found


@dataclass(frozen=True)
class Holding:
    """How much of one line key a single invoice still bills after its credit notes."""

    invoice_id: int
    line: PricedLine  # quantity = net quantity still billed


def net_billed(invoice_lines, credit_lines) -> list[Holding]:
    """Invoice line quantities minus what credit notes took back, per invoice and line key."""
    net: dict[tuple[int, LineKey], PricedLine] = {}
    for row in invoice_lines:
        line = line_from_row(row)
        slot = (row.invoice_id, line.key)
        net[slot] = replace(line, quantity=net[slot].quantity + line.quantity) if slot in net else line
    for row in credit_lines:
        line = line_from_row(row)
        slot = (row.credit_note.invoice_id, line.key)
        if slot in net:
            net[slot] = replace(net[slot], quantity=net[slot].quantity - line.quantity)
    return [Holding(invoice_id, line) for (invoice_id, _), line in net.items() if line.quantity > 0]


def line_from_row(row) -> PricedLine:
    return PricedLine(package_id=row.package_id, description=row.description, quantity=row.quantity,
                      unit_amount=row.unit_amount, tax_rate=row.tax_rate, account_code=row.account_code,
                      tax_type=row.tax_type, is_comp=row.is_comp)


@dataclass
class Changes:
    additions: list[PricedLine]
    reductions: dict[int, list[PricedLine]]  # invoice id -> lines to credit on it


def changes(holdings: list[Holding], target: list[PricedLine], previous_manifest, manifest) -> Changes:
    """Compare what is billed with the new manifest: extra quantity is invoiced, missing quantity credited."""
    billed: dict[LineKey, Decimal] = defaultdict(Decimal)
    for holding in holdings:
        billed[holding.line.key] += holding.line.quantity
    wanted = {line.key: line for line in target}
    old_labels, new_labels = labels_by_key(previous_manifest), labels_by_key(manifest)
    event = manifest.booking.event
    packages = {ln.package.pk: ln.package for ln in manifest.lines.all()}
    additions = []
    for key, line in wanted.items():
        extra = line.quantity - billed.get(key, Decimal(0))
        if extra > 0:
            added = [label for label in new_labels[key] if label not in old_labels.get(key, [])]
            additions.append(replace(line, quantity=extra, description=_describe(
                packages[key[0]], event, added or new_labels[key], key[2], "added: ")))
    reductions: dict[int, list[PricedLine]] = defaultdict(list)
    # Credit the newest invoices first: a supplementary invoice is the first to give back what it added.
    for holding in sorted(holdings, key=lambda h: -h.invoice_id):
        key = holding.line.key
        surplus = billed[key] - (wanted[key].quantity if key in wanted else Decimal(0))
        if surplus <= 0:
            continue
        take = min(surplus, holding.line.quantity)
        billed[key] -= take
        removed = [label for label in old_labels.get(key, []) if label not in new_labels.get(key, [])]
        base = holding.line.description.split(" — ")[0]
        description = f"{base} — removed: {_labels(removed)}" if removed else base
        reductions[holding.invoice_id].append(replace(holding.line, quantity=take, description=description))
    return Changes(additions=additions, reductions=dict(reductions))


def terms_due_date(issue_date: date) -> date:
    return issue_date + timedelta(days=settings.EVENTCHAIN_PAYMENT_TERMS_DAYS)


def schedule(installments, total: Decimal, issue_date: date) -> list[ScheduledPart]:
    """The booking's deposit terms as amounts of this invoice; the last part takes the rounding remainder."""
    rows = list(installments)
    if not rows or total <= 0:
        return [ScheduledPart("Full payment", terms_due_date(issue_date), money.to_cents(total))]
    if all(row.percent is not None for row in rows):
        amounts = money.split_by_percent(total, [row.percent for row in rows])
    else:
        amounts, remaining = [], money.to_cents(total)
        for row in rows[:-1]:
            part = money.to_cents(row.amount) if row.amount is not None else money.to_cents(total * row.percent / 100)
            part = min(part, remaining)
            amounts.append(part)
            remaining -= part
        amounts.append(remaining)
    return [ScheduledPart(row.label, max(row.due_date, issue_date), amount) for row, amount in zip(rows, amounts, strict=True)
            if amount > 0] or [ScheduledPart("Full payment", terms_due_date(issue_date), money.to_cents(total))]


def bill_to_address(entity) -> str:
    if entity is None:
        return ""
    parts = [entity.address_line1, entity.address_line2,
             " ".join(p for p in (entity.city, entity.region, entity.postcode) if p), entity.country]
    return "\n".join(p for p in parts if p)
