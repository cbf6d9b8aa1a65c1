"""The CRM (Salesforce) event inbox: every event stored once, with what became of it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer


class CrmEventState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    UNMATCHED = "unmatched", _("Unmatched")
    FAILED = "failed", _("Failed")


class CrmEvent(models.Model):
    """One event from the CRM (Salesforce), stored once by its id before anything acts on it.

    The inbox makes deliveries idempotent (a replay finds the row and stops) and keeps
    what happened to each event visible to support: processed, unmatched or failed.
    """

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    type = models.CharField(max_length=60)
    account_id = models.CharField(_("Salesforce Account Id"), max_length=18, db_index=True)
    occurred_at = models.DateTimeField()
    payload = models.JSONField(help_text=_("The event as parsed from the request body."))
    raw_body = models.TextField(help_text=_("The request body exactly as signed."))
    received_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=CrmEventState.choices, default=CrmEventState.RECEIVED
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="crm_events"
    )
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.TextField(blank=True, help_text=_("What processing changed."))
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table the inbox had when it lived in accounts: moving the model moved no rows.
        db_table = "accounts_crmevent"
        verbose_name = "CRM event"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "-received_at"], name="crm_event_state_idx")]

    def __str__(self) -> str:
        return self.event_id
