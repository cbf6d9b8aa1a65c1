"""`GET /api/me/summary` and `GET /api/me/status`: the dashboard snapshot, serialized."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import conditional_page
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from dashboard import services
from dashboard.snapshot import MeStatus, Summary
from portal.serializers import DateTimeField, ErrorSerializer, MoneyField, iso_datetime, money


class DashboardStatsOutput(serializers.Serializer):
    activeSubscriptions = serializers.IntegerField(source="active_subscriptions")
    unpaidInvoices = serializers.IntegerField(source="unpaid_invoices")
    overdueInvoices = serializers.IntegerField(source="overdue_invoices")
    ordersInProgress = serializers.IntegerField(source="orders_in_progress")
    unreadNotifications = serializers.IntegerField(source="unread_notifications")


class DashboardNextInvoiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    dueDate = serializers.DateField(source="due_date")
    daysUntilDue = serializers.IntegerField(
        source="days_until_due", help_text="Negative when overdue"
    )
    total = MoneyField()
    status = serializers.CharField()
    overdue = serializers.BooleanField()
    href = serializers.CharField()


class DashboardActivityOutput(serializers.Serializer):
    id = serializers.CharField(help_text="Stable: <type>:<id>")
    type = serializers.ChoiceField(
        choices=[
            "invoice_issued",
            "invoice_paid",
            "order_placed",
            "order_activated",
            "order_failed",
            "cancellation_requested",
        ]
    )
    title = serializers.CharField()
    occurredAt = DateTimeField(source="occurred_at")
    href = serializers.CharField()


class DashboardSummaryOutput(serializers.Serializer):
    stats = DashboardStatsOutput()
    nextInvoice = DashboardNextInvoiceOutput(
        source="next_invoice", allow_null=True, help_text="The unpaid invoice due first"
    )
    recentActivity = DashboardActivityOutput(
        source="recent_activity", many=True, help_text="At most 10, newest first"
    )


class InternetEligibilityOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["not_requested", "pending", "eligible", "ineligible"])
    requestedAt = DateTimeField(source="requested_at", allow_null=True)
    checkedAt = DateTimeField(source="checked_at", allow_null=True)
    address = serializers.CharField(allow_null=True)
    notes = serializers.CharField(allow_null=True)


class ResidenceCardVerificationOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["not_submitted", "pending", "verified", "rejected"])
    submittedAt = DateTimeField(source="submitted_at", allow_null=True)
    reviewedAt = DateTimeField(source="reviewed_at", allow_null=True)
    rejectionReason = serializers.CharField(source="rejection_reason", allow_null=True)
    cardExpiresOn = serializers.DateField(source="card_expires_on", allow_null=True)


class PaymentMethodsOutput(serializers.Serializer):
    totalCount = serializers.IntegerField(
        source="total_count",
        allow_null=True,
        help_text="null when the billing provider is unavailable",
    )


class DashboardTaskOutput(serializers.Serializer):
    id = serializers.CharField(help_text="Stable for the same thing, e.g. invoice_due:42")
    type = serializers.ChoiceField(
        choices=[
            "invoice_due",
            "idv_rejected",
            "residence_card_expiring",
            "add_payment_method",
            "order_in_progress",
            "eligibility_pending",
            "onboarding",
        ]
    )
    priority = serializers.IntegerField(help_text="Lower comes first")
    tone = serializers.ChoiceField(choices=["critical", "warning", "info", "neutral"])
    title = serializers.CharField()
    description = serializers.CharField()
    actionLabel = serializers.CharField(source="action_label")
    href = serializers.CharField()
    dueDate = serializers.DateField(source="due_date", allow_null=True)


class MeStatusOutput(serializers.Serializer):
    summary = DashboardSummaryOutput()
    internetEligibility = InternetEligibilityOutput(source="internet_eligibility")
    residenceCardVerification = ResidenceCardVerificationOutput(
        source="residence_card_verification"
    )
    paymentMethods = PaymentMethodsOutput(source="payment_methods")
    tasks = DashboardTaskOutput(many=True, help_text="Sorted by priority, then date")


def _summary_json(summary: Summary) -> dict[str, Any]:
    """`DashboardSummaryOutput`, written out by hand: the serializer documents it, this is
    the hot path (the snapshot is built on every read)."""
    stats = summary.stats
    invoice = summary.next_invoice
    return {
        "stats": {
            "activeSubscriptions": stats.active_subscriptions,
            "unpaidInvoices": stats.unpaid_invoices,
            "overdueInvoices": stats.overdue_invoices,
            "ordersInProgress": stats.orders_in_progress,
            "unreadNotifications": stats.unread_notifications,
        },
        "nextInvoice": None
        if invoice is None
        else {
            "id": invoice.id,
            "number": invoice.number,
            "dueDate": invoice.due_date.isoformat(),
            "daysUntilDue": invoice.days_until_due,
            "total": money(invoice.total, invoice.currency),
            "status": invoice.status,
            "overdue": invoice.overdue,
            "href": invoice.href,
        },
        "recentActivity": [
            {
                "id": activity.id,
                "type": activity.type,
                "title": activity.title,
                "occurredAt": iso_datetime(activity.occurred_at),
                "href": activity.href,
            }
            for activity in summary.recent_activity
        ],
    }


def _me_status_json(status: MeStatus) -> dict[str, Any]:
    """`MeStatusOutput`, written out by hand (see `_summary_json`)."""
    eligibility = status.internet_eligibility
    verification = status.residence_card_verification
    return {
        "summary": _summary_json(status.summary),
        "internetEligibility": {
            "status": eligibility.status,
            "requestedAt": iso_datetime(eligibility.requested_at),
            "checkedAt": iso_datetime(eligibility.checked_at),
            "address": eligibility.address,
            "notes": eligibility.notes,
        },
        "residenceCardVerification": {
            "status": verification.status,
            "submittedAt": iso_datetime(verification.submitted_at),
            "reviewedAt": iso_datetime(verification.reviewed_at),
            "rejectionReason": verification.rejection_reason,
            "cardExpiresOn": _iso_date(verification.card_expires_on),
        },
        "paymentMethods": {"totalCount": status.payment_methods.total_count},
        "tasks": [
            {
                "id": task.id,
                "type": task.type,
                "priority": task.priority,
                "tone": task.tone,
                "title": task.title,
                "description": task.description,
                "actionLabel": task.action_label,
                "href": task.href,
                "dueDate": _iso_date(task.due_date),
            }
            for task in status.tasks
        ],
    }


def _iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class MeSummaryView(CustomerAPIView):
    @extend_schema(
        responses={200: DashboardSummaryOutput, 401: ErrorSerializer},
        summary="Stats, the next invoice and recent activity",
    )
    # The ETag is a hash of the JSON (Django's ConditionalGetMiddleware, on this view only):
    # exact whatever changed, the clock and the billing provider included, which no column
    # tracks; a client that has it gets a 304 without a body.
    @method_decorator(conditional_page)
    def get(self, request: Request) -> Response:
        summary = services.build_summary(customer=self.customer, now=timezone.now())
        return Response(_summary_json(summary))


class MeStatusView(CustomerAPIView):
    @extend_schema(
        responses={200: MeStatusOutput, 401: ErrorSerializer},
        summary="The dashboard snapshot: summary, identity checks, payment methods and tasks",
        description=(
            "Everything a client needs to draw the dashboard. Clients map each task `type` to "
            "an icon and show the rest (title, description, action label, link) as given."
        ),
    )
    @method_decorator(conditional_page)
    def get(self, request: Request) -> Response:
        status = services.build_me_status(customer=self.customer, now=timezone.now())
        return Response(_me_status_json(status))
