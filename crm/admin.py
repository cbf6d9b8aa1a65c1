"""Support's view of the CRM event inbox: what became of each event, and re-playing them."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from crm import services
from crm.models import CrmEvent
from staff.adminkit import DecisionAdmin


@admin.register(CrmEvent)
class CrmEventAdmin(DecisionAdmin):
    list_display = [
        "event_id",
        "type",
        "account_id",
        "customer",
        "state",
        "attempts",
        "received_at",
        "processed_at",
    ]
    list_filter = ["state", "type"]
    search_fields = ["event_id", "account_id", "customer__name", "customer__user__email"]
    list_select_related = ["customer__user"]
    date_hierarchy = "received_at"
    actions = ["replay"]
    fields = readonly_fields = (
        "event_id",
        "type",
        "account_id",
        "customer",
        "occurred_at",
        "received_at",
        "state",
        "attempts",
        "processed_at",
        "outcome",
        "error",
        "pretty_payload",
        "raw_body",
    )

    @admin.display(description="Payload")
    def pretty_payload(self, event: CrmEvent) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Re-play the selected events", permissions=["change"])
    def replay(self, request: HttpRequest, queryset: QuerySet[CrmEvent]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = services.replay_crm_events(
            crm_event_ids=ids,
            actor=request.user,  # type: ignore[arg-type]
        )
        skipped = len(ids) - count
        self.message_user(
            request,
            f"{count} event(s) queued again"
            + (f"; {skipped} already processed left alone." if skipped else "."),
            messages.SUCCESS if count else messages.WARNING,
        )
