"""Notifications keep their type and context and are rendered when read.

Existing rows get their context rebuilt from their subject (the order, invoice,
cancellation, card, announcement...), so they read in the reader's language; a row
whose subject is gone keeps the text it was created with. Each row also gets its
category and severity, and `updated_at`, which every change moves (on PostgreSQL a
trigger moves it for writes that bypass the ORM too).
"""

import django.utils.timezone
from django.db import migrations, models

CATEGORIES = {
    "INVOICE_DUE": "billing",
    "PAYMENT_METHOD_EXPIRING": "billing",
    "PAYMENT_RECEIVED": "billing",
    "ORDER_APPROVED": "orders",
    "ORDER_ACTIVATED": "orders",
    "ORDER_FAILED": "orders",
    "CANCELLATION_SCHEDULED": "services",
    "CANCELLATION_COMPLETED": "services",
    "CANCELLATION_WITHDRAWN": "services",
    "ELIGIBILITY_ELIGIBLE": "account",
    "ELIGIBILITY_INELIGIBLE": "account",
    "VERIFICATION_VERIFIED": "account",
    "VERIFICATION_REJECTED": "account",
    "RESIDENCE_CARD_EXPIRING": "account",
    "SYSTEM_ANNOUNCEMENT": "announcements",
}
SEVERITIES = {
    "INVOICE_DUE": "warning",
    "PAYMENT_METHOD_EXPIRING": "warning",
    "ORDER_FAILED": "critical",
    "ELIGIBILITY_INELIGIBLE": "warning",
    "VERIFICATION_REJECTED": "critical",
    "RESIDENCE_CARD_EXPIRING": "warning",
}
BATCH = 1000


def _text(en, ja=""):
    return {"$text": {"en": en or "", "ja": ja or ""}}


def _written(value):
    if any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in value):
        return _text("", value)
    return _text(value, "")


def _plan(plan):
    return _text(plan.name, plan.name_ja or plan.name)


def _context(apps, row):  # noqa: C901 - one branch per type, read top to bottom
    kind = row.type
    source_id = row.source_id
    customer = apps.get_model("accounts", "Customer").objects.filter(user_id=row.user_id).first()
    if kind.startswith("ORDER_"):
        order = (
            apps.get_model("orders", "Order")
            .objects.select_related("plan")
            .filter(external_id=source_id)
            .first()
        )
        if order is not None:
            context = {
                "order_number": order.number,
                "plan_name": _plan(order.plan),
                "order_id": order.pk,
            }
            if kind == "ORDER_FAILED":
                context["reason"] = _written(order.failure_reason or "")
            return context
    elif kind == "CANCELLATION_SCHEDULED" and source_id.isdigit():
        cancellation = (
            apps.get_model("subscriptions", "CancellationRequest")
            .objects.select_related("subscription__plan")
            .filter(pk=int(source_id))
            .first()
        )
        if cancellation is not None:
            return {
                "plan_name": _plan(cancellation.subscription.plan),
                "effective_on": {"$date": cancellation.effective_on.isoformat()},
                "subscription_id": cancellation.subscription_id,
            }
    elif kind == "INVOICE_DUE" and source_id.isdigit():
        invoice = apps.get_model("billing", "Invoice").objects.filter(pk=int(source_id)).first()
        if invoice is not None:
            return {
                "invoice_number": invoice.number,
                "amount": {"$money": [str(invoice.total), invoice.currency]},
                "due_date": {"$date": invoice.due_date.isoformat()},
                "invoice_id": invoice.pk,
            }
    elif kind == "PAYMENT_METHOD_EXPIRING" and source_id.isdigit():
        card = apps.get_model("billing", "PaymentMethod").objects.filter(pk=int(source_id)).first()
        if card is not None and card.exp_month and card.exp_year:
            return {
                "brand": card.brand or "card",
                "last4": card.last4,
                "expiry": f"{card.exp_month:02d}/{card.exp_year}",
            }
    elif kind == "SYSTEM_ANNOUNCEMENT" and source_id.isdigit():
        announcement = (
            apps.get_model("notifications", "Announcement").objects.filter(pk=int(source_id)).first()
        )
        if announcement is not None:
            return {
                "title": _text(announcement.title, announcement.title_ja),
                "message": _text(announcement.message, announcement.message_ja),
                "announcement_id": announcement.pk,
            }
    elif kind.startswith("ELIGIBILITY_") and customer is not None:
        eligibility = (
            apps.get_model("accounts", "InternetEligibility")
            .objects.filter(customer=customer)
            .first()
        )
        if eligibility is not None and eligibility.address:
            return {"address": _text(eligibility.address, eligibility.address)}
    elif kind == "VERIFICATION_VERIFIED":
        return {}
    elif kind == "VERIFICATION_REJECTED" and customer is not None:
        verification = (
            apps.get_model("accounts", "ResidenceCardVerification")
            .objects.filter(customer=customer)
            .first()
        )
        if verification is not None and verification.rejection_reason:
            return {"reason": _written(verification.rejection_reason)}
    return None


def rebuild_contexts(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    last = 0
    while True:
        rows = list(Notification.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        for row in rows:
            context = _context(apps, row)
            if context is None:
                context = {
                    "$legacy": {
                        "title": row.title,
                        "message": row.message,
                        "action_url": row.action_url,
                        "action_label": row.action_label,
                    }
                }
            row.context = context
            row.category = CATEGORIES.get(row.type, "account")
            row.severity = SEVERITIES.get(row.type, "info")
            if row.type == "INVOICE_DUE" and "due_date" in context:
                overdue = context["due_date"]["$date"] < row.created_at.date().isoformat()
                row.severity = "critical" if overdue else "warning"
            row.updated_at = max(
                t for t in (row.created_at, row.read_at, row.seen_at, row.archived_at) if t
            )
        Notification.objects.bulk_update(rows, ["context", "category", "severity", "updated_at"])
        last = rows[-1].pk


TRIGGER = """
CREATE OR REPLACE FUNCTION notifications_notification_touch() RETURNS trigger AS $$
BEGIN
    -- A write that did not set updated_at itself (raw SQL, a data fix) still moves it.
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS notifications_notification_touch ON notifications_notification;
CREATE TRIGGER notifications_notification_touch
    BEFORE UPDATE ON notifications_notification
    FOR EACH ROW EXECUTE FUNCTION notifications_notification_touch();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS notifications_notification_touch ON notifications_notification;
DROP FUNCTION IF EXISTS notifications_notification_touch();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_crm_event"),
        ("billing", "0001_initial"),
        ("orders", "0001_initial"),
        ("subscriptions", "0002_cancellation_reason_choices"),
        ("notifications", "0004_announcement_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="context",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="notification",
            name="category",
            field=models.CharField(
                choices=[
                    ("billing", "Billing"),
                    ("orders", "Orders"),
                    ("services", "Services"),
                    ("account", "Account"),
                    ("announcements", "Announcements"),
                ],
                default="account",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="severity",
            field=models.CharField(
                choices=[("info", "Information"), ("warning", "Warning"), ("critical", "Important")],
                default="info",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="retired_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(rebuild_contexts, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="notification", name="action_label"),
        migrations.RemoveField(model_name="notification", name="action_url"),
        migrations.RemoveField(model_name="notification", name="message"),
        migrations.RemoveField(model_name="notification", name="title"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True)),
                fields=["user", "category", "-created_at", "-id"],
                name="notification_category_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["user", "updated_at", "id"], name="notification_changes_idx"),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
