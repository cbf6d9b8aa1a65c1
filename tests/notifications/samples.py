"""A valid context for every notification type of the catalog."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from notifications.catalog import Money
from portal.text import Text

SAMPLE_CONTEXTS = {
    "ELIGIBILITY_ELIGIBLE": {"address": "1-2-3 Shibuya"},
    "ELIGIBILITY_INELIGIBLE": {"address": "1-2-3 Shibuya"},
    "VERIFICATION_VERIFIED": {},
    "VERIFICATION_REJECTED": {"reason": "The photo is blurred."},
    "ORDER_APPROVED": {"order_number": "ORD-1", "plan_name": "SIM 3GB", "order_id": 1},
    "ORDER_ACTIVATED": {"order_number": "ORD-1", "plan_name": "SIM 3GB", "order_id": 1},
    "ORDER_FAILED": {
        "order_number": "ORD-1",
        "plan_name": "SIM 3GB",
        "order_id": 1,
        "reason": "No line",
    },
    "CANCELLATION_SCHEDULED": {
        "plan_name": "SIM 3GB",
        "effective_on": date(2026, 11, 30),
        "subscription_id": 7,
    },
    "INVOICE_DUE": {
        "invoice_number": "INV-1",
        "amount": Money(Decimal("5500")),
        "due_date": date(2026, 11, 30),
        "invoice_id": 42,
    },
    "PAYMENT_METHOD_EXPIRING": {"brand": "Visa", "last4": "4242", "expiry": "12/2026"},
    "SUPPORT_REPLIED": {"request_id": 7},
    "SYSTEM_ANNOUNCEMENT": {
        "title": "Maintenance",
        "message": "Tonight 1:00-3:00.",
        "announcement_id": 3,
    },
    "CANCELLATION_COMPLETED": {
        "plan_name": "SIM 3GB",
        "effective_on": date(2026, 11, 30),
        "subscription_id": 7,
    },
    "CANCELLATION_WITHDRAWN": {
        "plan_name": "SIM 3GB",
        "effective_on": date(2026, 11, 30),
        "subscription_id": 7,
    },
    "RESIDENCE_CARD_EXPIRING": {"expires_on": date(2027, 1, 31)},
    "PAYMENT_FAILED": {
        "invoice_number": "INV-1",
        "amount": Money(Decimal("5500")),
        "invoice_id": 42,
    },
    "SUSPENSION_WARNING": {
        "invoice_number": "INV-1",
        "amount": Money(Decimal("5500")),
        "invoice_id": 42,
        "suspends_on": date(2026, 12, 15),
    },
    "SERVICE_SUSPENDED": {
        "plan_name": "Hikari 1G",
        "subscription_id": 7,
        "since": date(2026, 12, 15),
    },
    "SERVICE_RESTORED": {
        "plan_name": "Hikari 1G",
        "subscription_id": 7,
        "since": date(2026, 12, 15),
    },
    "PAYMENT_RECEIVED": {
        "invoice_number": "INV-1",
        "amount": Money(Decimal("5500")),
        "invoice_id": 42,
    },
    "REFUND_ISSUED": {
        "invoice_number": "INV-1",
        "invoice_id": 42,
        "amount": Money(Decimal("500")),
    },
    "INVOICE_ISSUED": {
        "invoice_number": "INV-2026-000001",
        "invoice_id": 42,
        "period": Text(en="November 2026", ja="2026年11月"),
        "amount": Money(Decimal("5500")),
        "due_date": date(2026, 12, 27),
    },
}
