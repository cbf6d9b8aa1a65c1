from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from notifications.models import Announcement, Notification
from notifications.services.announcements import (
    announcement_context,
    queue_announcement,
    send_announcement,
)
from notifications.services.notify import notify_many
from portal.api_errors import ApplicationError
from tests.factories import CustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def announcement(**fields) -> Announcement:
    fields.setdefault("title", "Planned maintenance")
    fields.setdefault("message", "The portal is down on Sunday from 1:00 to 3:00.")
    return Announcement.objects.create(**fields)


def received(customer, item: Announcement) -> int:
    return Notification.objects.filter(
        user=customer.user, type="SYSTEM_ANNOUNCEMENT", source_id=str(item.pk)
    ).count()


def send(item: Announcement, django_capture_on_commit_callbacks) -> Announcement:
    with django_capture_on_commit_callbacks(execute=True):
        queue_announcement(announcement_id=item.pk)
    item.refresh_from_db()
    return item


def test_an_announcement_reaches_every_active_customer_once(django_capture_on_commit_callbacks):
    customers = [CustomerFactory() for _ in range(3)]
    inactive = CustomerFactory()
    inactive.user.is_active = False
    inactive.user.save()
    StaffUserFactory()
    item = send(announcement(), django_capture_on_commit_callbacks)
    assert item.status == "sent"
    assert (item.recipient_count, item.sent_count, item.skipped_count) == (3, 3, 0)
    assert item.progress == "3 / 3"
    assert item.finished_at is not None
    assert [received(customer, item) for customer in customers] == [1, 1, 1]
    assert received(inactive, item) == 0
    assert Notification.objects.count() == 3
    notification = Notification.objects.first()
    assert notification.title == "Planned maintenance"
    assert notification.action_url == f"/account/announcements/{item.pk}"


def test_selected_customers_only(django_capture_on_commit_callbacks):
    chosen, other = CustomerFactory(), CustomerFactory()
    item = announcement(audience="selected")
    item.customers.add(chosen)
    send(item, django_capture_on_commit_callbacks)
    assert (received(chosen, item), received(other, item)) == (1, 0)


def test_japanese_customers_read_the_japanese_text(django_capture_on_commit_callbacks):
    english, japanese = CustomerFactory(), CustomerFactory(language="ja")
    item = send(
        announcement(title_ja="メンテナンスのお知らせ", message_ja="日曜日1時から3時まで"),
        django_capture_on_commit_callbacks,
    )
    assert (
        Notification.objects.get(user=japanese.user).rendered("ja").title
        == "メンテナンスのお知らせ"
    )
    assert Notification.objects.get(user=english.user).rendered("en").title == "Planned maintenance"
    assert item.sent_count == 2


def test_selected_audience_without_customers_is_refused():
    item = announcement(audience="selected")
    with pytest.raises(ApplicationError) as error:
        queue_announcement(announcement_id=item.pk)
    assert error.value.code == "validation_error"
    item.refresh_from_db()
    assert item.status == "draft"


def test_an_announcement_is_sent_only_once(django_capture_on_commit_callbacks):
    CustomerFactory()
    item = send(announcement(), django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as error:
        queue_announcement(announcement_id=item.pk)
    assert error.value.code == "announcement_already_sent"
    send_announcement(announcement_id=item.pk)  # a redelivered task
    assert Notification.objects.count() == 1


def test_a_run_that_stopped_halfway_resumes_without_duplicates():
    customers = [CustomerFactory() for _ in range(5)]
    item = announcement(status="queued")
    # The first run sent the first two customers' notifications, then its worker died
    # before it could record them.
    notify_many(
        user_ids=[c.user_id for c in customers[:2]],
        type="SYSTEM_ANNOUNCEMENT",
        source_id=item.pk,
        context=announcement_context(item),
    )
    item = send_announcement(announcement_id=item.pk, batch_size=2)
    assert [received(customer, item) for customer in customers] == [1] * 5
    assert (item.sent_count, item.skipped_count, item.recipient_count) == (3, 2, 5)


def test_sending_works_in_batches_with_one_insert_each():
    for _ in range(7):
        CustomerFactory()
    item = announcement(status="queued")
    with CaptureQueriesContext(connection) as queries:
        item = send_announcement(announcement_id=item.pk, batch_size=3)
    inserts = [
        q for q in queries if q["sql"].startswith('INSERT INTO "notifications_notification"')
    ]
    assert len(inserts) == 3  # 3 + 3 + 1 recipients
    assert item.sent_count == 7


def test_the_cost_of_a_batch_does_not_grow_with_its_size():
    def cost(customers: int) -> int:
        for _ in range(customers):
            CustomerFactory()
        item = announcement(status="queued")
        with CaptureQueriesContext(connection) as queries:
            send_announcement(announcement_id=item.pk, batch_size=1000)
        Notification.objects.all().delete()
        return len(queries)

    assert cost(3) == cost(40)


def test_a_draft_is_never_sent_by_a_stray_task():
    CustomerFactory()
    item = send_announcement(announcement_id=announcement().pk)
    assert item.status == "draft"
    assert not Notification.objects.exists()


def test_read_more_leads_to_the_whole_announcement_in_the_readers_language(
    client, django_capture_on_commit_callbacks
):
    japanese = CustomerFactory(language="ja")
    item = send(
        announcement(title_ja="メンテナンスのお知らせ", message_ja="日曜日1時から3時まで"),
        django_capture_on_commit_callbacks,
    )
    client.force_login(japanese.user)
    notification = Notification.objects.get(user=japanese.user)
    with translation.override("ja"):
        assert notification.action_url == f"/account/announcements/{item.pk}"
    content = client.get(f"/account/announcements/{item.pk}").content.decode()
    assert "メンテナンスのお知らせ" in content
    assert "日曜日1時から3時まで" in content


def test_an_announcement_not_sent_to_the_customer_is_a_404(
    client, django_capture_on_commit_callbacks
):
    CustomerFactory()
    item = send(announcement(audience="all"), django_capture_on_commit_callbacks)
    outsider = CustomerFactory()
    client.force_login(outsider.user)
    assert client.get(f"/account/announcements/{item.pk}").status_code == 404


def test_the_announcement_page_needs_a_login(client):
    response = client.get("/account/announcements/1")
    assert response.status_code == 302
    assert "/login" in response["Location"]
