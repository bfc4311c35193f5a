"""manage.py run_retention [--dry-run]: erase personal data due under each event's retention policy."""

from django.core.management.base import BaseCommand

from reporting.privacy import retention


def describe(result: dict) -> list[str]:
    lines = []
    for plan in result["plans"]:
        policy = plan.policy
        lines.append(f"{plan.event.code} {plan.event.name} (ended {plan.event.ends_at:%Y-%m-%d}; guest contacts "
                     f"{policy.guest_contact_days_after_event} d, scans {policy.scans_days_after_event} d, "
                     f"financial {policy.financial_years} y)")
        for section in plan.sections:
            state = "due" if section.due else "not due"
            rows = ", ".join(f"{label} {count}" for label, count in sorted(section.rows.items())) or "nothing left"
            kept = f" — kept: {section.kept_because}" if section.kept_because else ""
            lines.append(f"  {section.what}: {state} on {section.due_on:%Y-%m-%d}: {rows}{kept}")
    lines.append(f"Portal sign-in links with an IP past the default guest-contact period: {result['portal_links']}")
    return lines


class Command(BaseCommand):
    help = "Apply the retention schedule (erase guest contact details, scans... that are due); --dry-run reports."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what is due without changing anything.")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            result = retention.report()
            self.stdout.write("Dry run: nothing is changed.")
        else:
            result = retention.run(actor="command:run_retention")
        for line in describe(result):
            self.stdout.write(line)
        due = sum(plan.total for plan in result["plans"]) + result["portal_links"]
        self.stdout.write(f"{'Would erase' if dry_run else 'Erased'} data in {due} row(s).")
