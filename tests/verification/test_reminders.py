"""RESIDENCE_CARD_EXPIRING: 60, 30 and 7 days before a verified card expires and on the day,
counted in Asia/Tokyo; once per milestone however often the daily job runs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from billing.services.reminders import send_invoice_due_reminders
from dashboard.services import build_me_status
from notifications.models import Notification
from notifications.services.inbox import snooze
from portal.celery import app
from tests.factories import CustomerFactory, PaymentMethodFactory, SubscriptionFactory
from verification import tasks
from verification.services.reminders import send_residence_card_expiring_reminders

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
EXPIRES = date(2027, 1, 31)


def tokyo(day: date, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TOKYO)


def verified(customer=None, expires_on=EXPIRES):
    customer = customer or CustomerFactory()
    verification = customer.residence_card_verification
    verification.status = "verified"
    verification.card_expires_on = expires_on
    verification.save()
    return customer


def reminders():
    return Notification.objects.filter(type="RESIDENCE_CARD_EXPIRING").order_by("created_at")


def run_at(moment: datetime) -> int:
    """The beat's task at `moment`: the clock, not a parameter, decides the day."""
    with time_machine.travel(moment, tick=False):
        return tasks.send_residence_card_expiring_reminders.apply().get()


def test_the_daily_beat_runs_the_task():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "notifications.tasks.send_residence_card_expiring_reminders"
    ]
    assert len(entries) == 1
    assert "notifications.tasks.send_residence_card_expiring_reminders" in app.tasks


@pytest.mark.parametrize("days_before", [60, 30, 7, 0])
def test_each_milestone_starts_at_midnight_in_tokyo(days_before):
    customer = verified()
    day = EXPIRES - timedelta(days=days_before)
    if days_before != 60:
        # The milestone before it was told already.
        send_residence_card_expiring_reminders(now=tokyo(day - timedelta(days=2)))
    before = reminders().count()
    # 23:59:59 the evening before, in Tokyo (14:59:59 UTC): still the previous milestone.
    assert run_at(tokyo(day - timedelta(days=1), 23, 59, 59)) == 0
    # 00:00 in Tokyo is 15:00 UTC the day before: the milestone is due.
    assert run_at(tokyo(day, 0, 0, 0)) == 1
    latest = reminders().last()
    assert reminders().count() == before + 1
    assert latest.user == customer.user
    assert latest.context["days_before"] == days_before
    assert latest.source_id == f"{customer.residence_card_verification.pk}:2027-01-31"
    assert latest.action_url == "/account/verification"
    assert latest.category == "account"
    assert latest.severity == ("critical" if days_before == 0 else "warning")


def test_the_days_between_milestones_send_nothing_and_a_rerun_is_idempotent():
    verified()
    told = []
    day = EXPIRES - timedelta(days=70)
    while day <= EXPIRES + timedelta(days=20):
        for hour in (0, 9, 23):
            if send_residence_card_expiring_reminders(now=tokyo(day, hour)):
                told.append((EXPIRES - day).days)
        day += timedelta(days=1)
    assert told == [60, 30, 7, 0]
    assert reminders().count() == 4


def test_a_missed_run_is_caught_up_the_next_day_once():
    verified()
    assert send_residence_card_expiring_reminders(now=tokyo(EXPIRES - timedelta(59))) == 1
    assert send_residence_card_expiring_reminders(now=tokyo(EXPIRES - timedelta(58))) == 0
    assert reminders().get().context["days_before"] == 60


def test_a_newer_milestone_retires_the_older_one_of_the_same_card():
    verified()
    send_residence_card_expiring_reminders(now=tokyo(EXPIRES - timedelta(60)))
    send_residence_card_expiring_reminders(now=tokyo(EXPIRES - timedelta(30)))
    older, newer = reminders()
    assert older.retired_at is not None and older.read_at is not None
    assert newer.retired_at is None and newer.read_at is None


def test_the_reminder_reads_in_the_customers_language_with_the_date():
    customer = verified(CustomerFactory(language="ja"))
    send_residence_card_expiring_reminders(now=tokyo(EXPIRES - timedelta(7)))
    reminder = reminders().get()
    assert reminder.user == customer.user
    assert "2027年1月31日" in reminder.rendered("ja").title
    assert "Jan. 31, 2027" in reminder.rendered("en").title


def test_only_verified_cards_of_active_customers_are_reminded():
    day = EXPIRES - timedelta(days=30)
    pending = verified()
    pending.residence_card_verification.status = "pending"
    pending.residence_card_verification.save()
    inactive = verified()
    inactive.user.is_active = False
    inactive.user.save()
    verified(expires_on=EXPIRES + timedelta(days=90))  # far off
    verified(expires_on=EXPIRES - timedelta(days=120))  # long expired, not reviewed again
    assert send_residence_card_expiring_reminders(now=tokyo(day)) == 0


def test_a_renewed_card_verified_retires_the_reminders():
    from verification.services.review import review_residence_card

    customer = verified()
    send_residence_card_expiring_reminders(now=tokyo(EXPIRES - timedelta(7)))
    verification = customer.residence_card_verification
    verification.status = "pending"
    verification.save()
    review_residence_card(
        customer=customer,
        status="verified",
        reviewer=None,
        card_expires_on=date(2032, 1, 31),
        now=tokyo(EXPIRES - timedelta(3)),
    )
    assert reminders().get().retired_at is not None


# --- The dashboard task -------------------------------------------------------------------


@pytest.fixture
def started():
    customer = verified()
    PaymentMethodFactory(customer=customer, is_default=True)
    SubscriptionFactory(customer=customer)
    return customer


def card_tasks(customer, now):
    return [
        task
        for task in build_me_status(customer=customer, now=now).tasks
        if task.type == "residence_card_expiring"
    ]


def test_no_task_until_60_days_before_in_tokyo(started):
    assert card_tasks(started, tokyo(EXPIRES - timedelta(61), 23, 59, 59)) == []
    [task] = card_tasks(started, tokyo(EXPIRES - timedelta(60), 0, 0, 0))
    assert task.id == "residence_card_expiring"
    assert (task.priority, task.tone) == (35, "warning")
    assert task.href == "/account/verification"
    assert task.due_date == EXPIRES
    assert task.title == "Your residence card expires on Jan. 31, 2027"
    assert task.action_label == "Upload new card"


def test_the_task_is_critical_from_the_expiry_day_on(started):
    [task] = card_tasks(started, tokyo(EXPIRES - timedelta(1), 23, 59, 59))
    assert (task.priority, task.tone) == (35, "warning")
    [task] = card_tasks(started, tokyo(EXPIRES, 0, 0, 0))
    assert (task.priority, task.tone) == (15, "critical")
    assert task.title == "Your residence card expired on Jan. 31, 2027"
    [task] = card_tasks(started, tokyo(EXPIRES + timedelta(40)))
    assert task.priority == 15


def test_the_task_sorts_by_its_priority(started):
    from tests.factories import InvoiceFactory

    InvoiceFactory(customer=started, due_date=EXPIRES - timedelta(days=1))
    InvoiceFactory(customer=started, due_date=EXPIRES + timedelta(days=3))
    ordered = [
        task.priority for task in build_me_status(customer=started, now=tokyo(EXPIRES)).tasks
    ]
    assert ordered == [10, 15, 30]


def test_a_card_sent_for_renewal_is_no_task(started):
    started.residence_card_verification.status = "pending"
    started.residence_card_verification.save()
    assert card_tasks(started, tokyo(EXPIRES)) == []


def test_the_task_in_japanese(started):
    started.language = "ja"
    started.save()
    from django.utils import translation

    with translation.override("ja"):
        [task] = card_tasks(started, tokyo(EXPIRES - timedelta(10)))
    assert "2027年1月31日" in task.title


# --- A snoozed reminder replaced by the daily job ----------------------------------------


def test_a_snoozed_reminder_replaced_by_the_next_days_comes_back_once_unread_when_it_ends():
    from tests.factories import InvoiceFactory

    customer = CustomerFactory()
    InvoiceFactory(customer=customer, due_date=date(2026, 12, 10))
    first_day = tokyo(date(2026, 12, 5))
    send_invoice_due_reminders(now=first_day)
    first = Notification.objects.get(type="INVOICE_DUE")
    until = tokyo(date(2026, 12, 8), 9)
    snooze(user=customer.user, notification_id=first.pk, until=until, now=first_day)
    # The next two days' runs replace it while it is snoozed.
    send_invoice_due_reminders(now=tokyo(date(2026, 12, 6)))
    send_invoice_due_reminders(now=tokyo(date(2026, 12, 7)))
    from notifications import selectors

    during = tokyo(date(2026, 12, 7), 12)
    assert selectors.count_unread_notifications(user=customer.user, now=during) == 0
    after = until + timedelta(minutes=1)
    unread = list(selectors.unread_notifications(user=customer.user, now=after))
    assert len(unread) == 1
    assert unread[0].created_at == tokyo(date(2026, 12, 7))
    assert unread[0].snoozed_until == until
    # Only the newest is listed when the snooze ends: the replaced ones are archived.
    listed = selectors.visible_notifications(user=customer.user, now=after)
    assert list(listed.values_list("pk", flat=True)) == [unread[0].pk]
    assert Notification.objects.filter(type="INVOICE_DUE", archived_at__isnull=False).count() == 2
    # The next day's run after the snooze ended is not snoozed.
    send_invoice_due_reminders(now=tokyo(date(2026, 12, 9)))
    latest = Notification.objects.filter(type="INVOICE_DUE").latest("created_at")
    assert latest.snoozed_until is None
    assert (
        selectors.count_unread_notifications(user=customer.user, now=tokyo(date(2026, 12, 9), 10))
        == 1
    )
