from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User
from notifications.models import Announcement, Notification
from notifications.services.announcements import send_announcement
from notifications.services.notify import notify
from tests.factories import CustomerFactory
from tests.notifications.concurrency import run_at_once
from tests.notifications.samples import SAMPLE_CONTEXTS
from verification.services.reminders import send_residence_card_expiring_reminders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_event_processed_by_many_workers_at_once_creates_one_row():
    customer = CustomerFactory()
    now = timezone.now()

    def deliver() -> bool:
        user = User.objects.select_related("customer").get(pk=customer.user_id)
        created = notify(
            user=user,
            type="ORDER_ACTIVATED",
            source_id="801RACE0000000001",
            context=SAMPLE_CONTEXTS["ORDER_ACTIVATED"],
            now=now,
        )
        return created is not None

    results = run_at_once(deliver, threads=24)

    assert results.count(True) == 1
    assert Notification.objects.filter(user=customer.user, type="ORDER_ACTIVATED").count() == 1


def test_two_workers_sending_one_announcement_send_it_once():
    customers = [CustomerFactory() for _ in range(30)]
    announcement = Announcement.objects.create(
        title="Maintenance", message="Tonight", status="queued"
    )

    def send() -> None:
        send_announcement(announcement_id=announcement.pk, batch_size=4)

    run_at_once(send, threads=4)

    announcement.refresh_from_db()
    assert announcement.status == "sent"
    assert announcement.sent_count == 30
    for customer in customers:
        assert (
            Notification.objects.filter(user=customer.user, source_id=str(announcement.pk)).count()
            == 1
        )


def test_the_residence_card_job_run_by_many_workers_at_once_tells_each_milestone_once():
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    customers = [CustomerFactory() for _ in range(3)]
    expires = date(2027, 1, 31)
    for customer in customers:
        verification = customer.residence_card_verification
        verification.status = "verified"
        verification.card_expires_on = expires
        verification.save()
    now = datetime(2027, 1, 24, 9, 20, tzinfo=ZoneInfo("Asia/Tokyo"))  # 7 days before

    results = run_at_once(lambda: send_residence_card_expiring_reminders(now=now), threads=6)

    assert sum(results) == 3
    reminders = Notification.objects.filter(type="RESIDENCE_CARD_EXPIRING")
    assert reminders.count() == 3
    assert {reminder.context["days_before"] for reminder in reminders} == {7}
    # The next day the same milestone is not told again.
    assert send_residence_card_expiring_reminders(now=now + timedelta(days=1)) == 0
