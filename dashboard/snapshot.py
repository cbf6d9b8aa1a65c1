"""The snapshot's shape (API.md "The dashboard"), as plain data.

`services.build_me_status` fills these; `api.py` turns them into JSON and the `/account/`
page renders them, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.functional import Promise

from accounts.models import EligibilityStatus, VerificationStatus
from portal.formats import format_money


@dataclass(frozen=True)
class Stats:
    active_subscriptions: int
    unpaid_invoices: int
    overdue_invoices: int
    orders_in_progress: int
    unread_notifications: int


@dataclass(frozen=True)
class NextInvoice:
    id: int
    number: str
    due_date: date
    days_until_due: int
    total: Decimal
    currency: str
    status: str
    overdue: bool
    href: str

    @property
    def total_display(self) -> str:
        return format_money(self.total, self.currency)


@dataclass(frozen=True)
class Activity:
    id: str
    type: str
    title: str
    occurred_at: datetime
    href: str


@dataclass(frozen=True)
class Summary:
    stats: Stats
    next_invoice: NextInvoice | None
    recent_activity: tuple[Activity, ...]


@dataclass(frozen=True)
class EligibilityState:
    status: str
    requested_at: datetime | None
    checked_at: datetime | None
    address: str | None
    notes: str | None

    @property
    def status_label(self) -> str | Promise:
        return EligibilityStatus(self.status).label

    @property
    def tone(self) -> str:
        return EligibilityStatus(self.status).tone


@dataclass(frozen=True)
class VerificationState:
    status: str
    submitted_at: datetime | None
    reviewed_at: datetime | None
    rejection_reason: str | None
    card_expires_on: date | None

    @property
    def status_label(self) -> str | Promise:
        return VerificationStatus(self.status).label

    @property
    def tone(self) -> str:
        return VerificationStatus(self.status).tone


@dataclass(frozen=True)
class PaymentMethods:
    # None when the billing provider failed or timed out.
    total_count: int | None


@dataclass(frozen=True)
class Task:
    id: str
    type: str
    priority: int
    tone: str
    title: str
    description: str
    action_label: str
    href: str
    due_date: date | None = None


@dataclass(frozen=True)
class MeStatus:
    summary: Summary
    internet_eligibility: EligibilityState
    residence_card_verification: VerificationState
    payment_methods: PaymentMethods
    tasks: tuple[Task, ...]
