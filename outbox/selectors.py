"""Reads of the outbox's own records: the workflows the sweep found stuck."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import NoReverseMatch, reverse

from outbox.models import SweepRecord
from outbox.sweeps import get_sweep

# Enqueued again this many times and still unfinished: a person should look.
STUCK_AFTER_ATTEMPTS = 2


@dataclass(frozen=True)
class StuckWorkflow:
    sweep: str
    label: str
    object_id: int
    first_found_at: datetime
    last_enqueued_at: datetime
    attempts: int
    # The row's admin page, when it has one.
    admin_url: str | None


def _admin_url(sweep_name: str, object_id: int) -> str | None:
    sweep = get_sweep(sweep_name)
    if sweep is None:
        return None
    meta = sweep.model._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[object_id])
    except NoReverseMatch:
        return None


def stuck_workflows(*, limit: int = 50) -> list[StuckWorkflow]:
    """Rows the sweep has enqueued again at least twice and that are still unfinished,
    oldest first (at most `limit`)."""
    records = SweepRecord.objects.filter(attempts__gte=STUCK_AFTER_ATTEMPTS).order_by(
        "first_found_at", "pk"
    )[:limit]
    workflows = []
    for record in records:
        sweep = get_sweep(record.sweep)
        workflows.append(
            StuckWorkflow(
                sweep=record.sweep,
                label=sweep.label if sweep else record.sweep,
                object_id=record.object_id,
                first_found_at=record.first_found_at,
                last_enqueued_at=record.last_enqueued_at,
                attempts=record.attempts,
                admin_url=_admin_url(record.sweep, record.object_id),
            )
        )
    return workflows


def count_stuck_workflows() -> int:
    return SweepRecord.objects.filter(attempts__gte=STUCK_AFTER_ATTEMPTS).count()
