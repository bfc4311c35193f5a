"""Benchmark: issue N tickets for one event (PDF + Apple pass + Google Save link each), then render the
same tickets the naive way (one WeasyPrint document per ticket) as the baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ec_bench .venv/bin/python bench/issue_tickets.py --tickets 2000

It migrates the database it is given (default: a throwaway SQLite file), makes a released booking of
N/10 tables with every guest named, a test PKI for Apple and a service account for Google (no network:
wallet REST calls stay queued in the outbox, as they would until a Celery worker takes them), and times:

  fast   the real issuance job (`tickets.services.run_issuance`: stage, render in a process pool, complete)
  naive  one full WeasyPrint render per ticket plus its pass and link, in one process, on a sample

Prints tickets/s for both and the ratio. Nothing is asserted: the figures go in docs/performance.md.
"""

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000, help="tickets to issue (rounded up to tables of 10)")
    parser.add_argument("--workers", type=int, default=2, help="render processes for the fast path")
    parser.add_argument("--naive-sample", type=int, default=200,
                        help="tickets rendered the naive way (its rate is per ticket, so a sample suffices)")
    return parser.parse_args()


def make_pki(folder: Path) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    def cert(common, issuer, public_key, signing_key, ca):
        now = dt.datetime.now(dt.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signing_key, hashes.SHA256())
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    wwdr_key = ec.generate_private_key(ec.SECP256R1())
    pass_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wwdr = cert("Bench WWDR", "Bench Root", wwdr_key.public_key(), root_key, True)
    leaf = cert("Pass Type ID: pass.bench.eventchain", "Bench WWDR", pass_key.public_key(), wwdr_key, False)
    paths = {"cert": folder / "pass.pem", "key": folder / "pass-key.pem", "wwdr": folder / "wwdr.pem"}
    paths["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths["wwdr"].write_bytes(wwdr.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(pass_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    account_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    paths["google"] = folder / "service-account.json"
    paths["google"].write_text(json.dumps({
        "type": "service_account", "project_id": "bench", "private_key_id": "bench-1",
        "private_key": account_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode(),
        "client_email": "bench@bench.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }))
    return paths


def configure(work: Path, workers: int) -> None:
    paths = make_pki(work)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "eventchain.settings", "MEDIA_ROOT": str(work / "media"),
        "APPLE_PASS_CERT": str(paths["cert"]), "APPLE_PASS_KEY": str(paths["key"]),
        "APPLE_WWDR_CERT": str(paths["wwdr"]), "APPLE_PASS_TYPE_ID": "pass.bench.eventchain",
        "APPLE_TEAM_ID": "BENCH12345", "GOOGLE_WALLET_ISSUER_ID": "3388000000000000001",
        "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE": str(paths["google"]), "TICKETS_RENDER_WORKERS": str(workers),
        "LOG_LEVEL": "WARNING",
    })
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    # Wallet REST calls are outbox rows; a Celery worker would send them later. Keep them queued.
    from eventchain import tasks

    tasks.deliver_outbox_message.delay = lambda *args, **kwargs: None


def make_booking(tables: int):
    from allocation.models import Area, Manifest, ManifestLine, Unit
    from buyers.models import Booking, Buyer
    from eventchain import demo
    from eventchain.lifecycle import BookingStatus
    from eventchain.models import Event, Package
    from tickets.models import Guest

    demo.seed_catalogue()
    event = Event.objects.get(code="GF2026")
    package = Package.objects.get(event=event, code="TABLE-10")
    stamp = int(time.time())
    buyer = Buyer.objects.create(name=f"Bench Holdings {stamp}")
    booking = Booking.objects.create(buyer=buyer, event=event, package=package, headcount=tables * 10,
                                     status=BookingStatus.RELEASED)
    area, _ = Area.objects.get_or_create(venue=event.venue, name="Bench Dining Room")
    units = Unit.objects.bulk_create([
        Unit(venue=event.venue, area=area, kind="table", label=f"B{stamp}-T{n:04d}", capacity=10, position=n)
        for n in range(tables)
    ])
    manifest = Manifest.objects.create(booking=booking, version=1)
    ManifestLine.objects.bulk_create([
        ManifestLine(manifest=manifest, unit=unit, label=unit.label, kind="table", area=area.name, seats=10,
                     quantity=1, package=package, unit_price=Decimal("9500.00"))
        for unit in units
    ])
    first = ["Alex", "Sam", "Jordan", "Chris", "Taylor", "Morgan", "Jamie", "Riley", "Casey", "Avery"]
    last = ["Nguyen", "Smith", "O'Brien", "Papadopoulos", "Müller", "Kowalski", "Tanaka", "García", "Singh", "Cohen"]
    Guest.objects.bulk_create([
        Guest(booking=booking, position=n + 1, name=f"{first[n % 10]} {last[(n // 10) % 10]}",
              email=f"guest{n}@bench.example", requirements="Vegetarian" if n % 7 == 0 else "")
        for n in range(tables * 10)
    ])
    return booking


def fast(booking, workers: int) -> tuple[float, int]:
    from eventchain import jobs
    from tickets import services
    from tickets.models import Ticket

    job = jobs.start(kind=services.JOB_KIND, total=booking.headcount, target=booking)
    started = time.perf_counter()
    services.run_issuance(job_id=job.pk, booking_id=booking.pk, workers=workers)
    elapsed = time.perf_counter() - started
    return elapsed, Ticket.objects.filter(booking=booking, status="issued").count()


def naive(booking, sample: int) -> tuple[float, int]:
    from tickets import content, pdf, rendering, services
    from tickets.wallet import apple, google

    tickets = list(services._ticket_rows(booking_id=booking.pk)[:sample])
    design = content.design_for(booking.event)
    images = content.pass_images(design)
    signer = rendering.apple_signer()
    config, google_signer = rendering.google_wallet()
    jobs = services.artifact_jobs(tickets, design)
    started = time.perf_counter()
    for job in jobs:
        pdf.render_full_pdf(design, [job.fields])  # a whole WeasyPrint document per ticket
        apple.build_pkpass(job.pass_content, images, signer)
        google.save_url(config, [job.google_object], signer=google_signer)
    return time.perf_counter() - started, len(jobs)


def main():
    args = parse_args()
    tables = -(-args.tickets // 10)
    with tempfile.TemporaryDirectory(prefix="ec-bench-tickets-") as folder:
        configure(Path(folder), args.workers)
        from django.db import connection

        booking = make_booking(tables)
        print(f"database: {connection.vendor}; cores: {os.cpu_count()}; render workers: {args.workers}")
        fast_seconds, issued = fast(booking, args.workers)
        fast_rate = issued / fast_seconds
        print(f"fast:  {issued} tickets (PDF + pkpass + Google link) in {fast_seconds:.2f} s = {fast_rate:.1f} tickets/s")
        naive_seconds, rendered = naive(booking, args.naive_sample)
        naive_rate = rendered / naive_seconds
        print(f"naive: {rendered} tickets (one WeasyPrint document each + pkpass + link) in {naive_seconds:.2f} s "
              f"= {naive_rate:.1f} tickets/s")
        print(f"ratio: {fast_rate / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
