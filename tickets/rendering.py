"""Producing ticket files (PDF, .pkpass) and Save-to-Google links, in parallel when it pays.

The work is CPU-bound and pure, so it runs on plain data in a pool of forked processes: each
inherits the static PDF layers, fonts and signers the parent prepared, renders a chunk of tickets,
writes the files atomically and answers with the Google links. Inside a transaction, in a daemon
process (a Celery prefork child) or for a handful of tickets, the same code runs inline.
"""

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import connections

from . import pdf
from .files import write_atomic
from .pdf.design import Design, TicketFields
from .wallet import apple, google

MIN_CHUNK = 25


@dataclass(frozen=True)
class ArtifactJob:
    ticket_id: int
    fields: TicketFields
    pdf_path: str
    pass_content: apple.PassContent | None = None
    pkpass_path: str = ""
    google_object: dict | None = None


@lru_cache(maxsize=4)
def _apple_signer(*_settings_key) -> apple.PassSigner | None:
    try:
        return apple.PassSigner.from_settings()
    except apple.WalletNotConfigured:
        return None


def apple_signer() -> apple.PassSigner | None:
    return _apple_signer(settings.APPLE_PASS_CERT, settings.APPLE_PASS_KEY, settings.APPLE_WWDR_CERT,
                         settings.APPLE_PASS_TYPE_ID, settings.APPLE_TEAM_ID)


@lru_cache(maxsize=4)
def _google(*_settings_key):
    try:
        config = google.WalletConfig.from_settings()
    except google.WalletNotConfigured:
        return None, None
    return config, config.signer()


def google_wallet() -> tuple[google.WalletConfig | None, object]:
    return _google(settings.GOOGLE_WALLET_ISSUER_ID, settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE,
                   settings.GOOGLE_WALLET_API_BASE)


def render_one(design: Design, images: dict[str, bytes], job: ArtifactJob) -> str:
    """Write the job's missing files; returns its Google save URL ('' when Google Wallet is off)."""
    pdf_path = Path(job.pdf_path)
    if not pdf_path.exists():
        write_atomic(pdf_path, pdf.ticket_pdf(design, job.fields))
    signer = apple_signer()
    if job.pass_content is not None and signer is not None and job.pkpass_path:
        pkpass_path = Path(job.pkpass_path)
        if not pkpass_path.exists():
            write_atomic(pkpass_path, apple.build_pkpass(job.pass_content, images, signer))
    config, google_signer = google_wallet()
    if job.google_object is not None and config is not None:
        return google.save_url(config, [job.google_object], signer=google_signer)
    return ""


def _render_chunk(design: Design, images: dict[str, bytes], jobs: list[ArtifactJob]) -> list[tuple[int, str]]:
    return [(job.ticket_id, render_one(design, images, job)) for job in jobs]


def _can_fork() -> bool:
    if multiprocessing.current_process().daemon:
        return False  # Celery prefork children may not have children; Celery's own workers parallelise
    return not any(conn.in_atomic_block for conn in connections.all(initialized_only=True))


def worker_count() -> int:
    return settings.TICKETS_RENDER_WORKERS or os.cpu_count() or 1


def warm(design: Design, jobs: list[ArtifactJob]) -> None:
    """Build what every ticket shares before forking, so each worker inherits it instead of rebuilding."""
    for package in {job.fields.package for job in jobs}:
        pdf.layer_for(design, package)
    apple_signer()
    google_wallet()


def produce(
    design: Design,
    images: dict[str, bytes],
    jobs: list[ArtifactJob],
    *,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[int, str]:
    """Render every job; returns {ticket id: Google save URL}. Calls `on_progress(n)` as chunks finish."""
    if not jobs:
        return {}
    workers = workers or worker_count()
    warm(design, jobs)
    size = max(MIN_CHUNK, min(200, -(-len(jobs) // (workers * 4))))
    chunks = [jobs[start:start + size] for start in range(0, len(jobs), size)]
    results: dict[int, str] = {}
    if workers > 1 and len(chunks) > 1 and _can_fork():
        # Forked children inherit the parent's database sockets; closing first keeps them from using
        # or closing the parent's session. Django reconnects on next use.
        connections.close_all()
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_render_chunk, design, images, chunk) for chunk in chunks]
            for future in as_completed(futures):
                done = future.result()
                results.update(done)
                if on_progress:
                    on_progress(len(done))
        return results
    for chunk in chunks:
        done = _render_chunk(design, images, chunk)
        results.update(done)
        if on_progress:
            on_progress(len(done))
    return results
