"""Celery tasks waiting to be published, stored in the same transaction as the change."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """One task to run: stored with the change that asks for it, published by the dispatcher,
    and followed until its task says it finished (outbox.services, outbox.tasks)."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    # Published to the broker (the last time, when it was published again).
    sent_at = models.DateTimeField(null=True, blank=True)
    # Publish attempts, those that failed included.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Recorded by the task itself: when its latest attempt started, and when it finished
    # (succeeded, or failed for good).
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Unfinished by then, the message is taken as lost and published again: two minutes
    # after it was sent, or its task's retry window after it started.
    lost_after = models.DateTimeField(null=True, blank=True)
    # Times it was found lost and published again.
    lost_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_pending_idx", condition=Q(sent_at__isnull=True)
            ),
            models.Index(
                fields=["lost_after"],
                name="outbox_unfinished_idx",
                condition=Q(sent_at__isnull=False, finished_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class SweepRecord(models.Model):
    """A row the sweep found unfinished and enqueued again (outbox.sweeps); deleted once the
    row is finished."""

    sweep = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    first_found_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["first_found_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sweep", "object_id"], name="one_record_per_swept_row")
        ]

    def __str__(self) -> str:
        return f"{self.sweep}:{self.object_id}"
