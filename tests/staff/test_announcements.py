"""Sending an announcement from the admin: preview in both languages, count, confirm, schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Announcement, AnnouncementStatus, Notification
from notifications.services.announcements import queue_due_announcements, send_announcement
from staff.models import StaffAction
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft() -> Announcement:
    return Announcement.objects.create(
        title="Planned maintenance",
        message="The portal is down on Sunday night.",
        title_ja="メンテナンスのお知らせ",
        message_ja="日曜日の夜はポータルをご利用いただけません。",
    )


def _send_url(announcement: Announcement) -> str:
    return f"/admin/notifications/announcement/{announcement.pk}/send/"


def test_the_preview_shows_both_languages_and_the_count(support: Client, draft):
    CustomerFactory.create_batch(3)
    inactive = CustomerFactory()
    inactive.user.is_active = False
    inactive.user.save()
    page = support.get(_send_url(draft)).content.decode()
    assert "Planned maintenance" in page and "メンテナンスのお知らせ" in page
    assert "日曜日の夜はポータルをご利用いただけません。" in page
    assert "Read more" in page
    assert 'id="recipient-count">3<' in page
    assert "Send now to 3 customers" in page
    assert "There is no Japanese text" not in page
    assert not Notification.objects.exists()


def test_the_preview_warns_when_the_japanese_text_is_missing(support: Client):
    draft = Announcement.objects.create(title="Hello", message="English only")
    assert "There is no Japanese text" in support.get(_send_url(draft)).content.decode()


def test_sending_needs_the_confirmation_of_the_count_shown(
    support: Client, support_user, draft, django_capture_on_commit_callbacks
):
    english, japanese = CustomerFactory(language="en"), CustomerFactory(language="ja")
    # A count that is no longer true (a customer joined since the preview): nothing is sent.
    response = support.post(_send_url(draft), {"send_now": "1", "expected_count": "1"}, follow=True)
    assert "The number of recipients changed: it is now 2" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == AnnouncementStatus.DRAFT

    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(_send_url(draft), {"send_now": "1", "expected_count": "2"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == AnnouncementStatus.SENT
    assert Notification.objects.get(user=english.user).rendered("en").title == "Planned maintenance"
    assert Notification.objects.get(user=japanese.user).rendered("ja").title == (
        "メンテナンスのお知らせ"
    )
    action = StaffAction.objects.get()
    assert (action.actor, action.action, action.customer) == (
        support_user,
        "announcement_queued",
        None,
    )
    assert action.details == {"recipients": 2}
    # Confirming again sends nothing more.
    support.post(_send_url(draft), {"send_now": "1", "expected_count": "0"})
    assert Notification.objects.count() == 2


def test_the_list_has_no_bulk_send_any_more(support: Client, draft):
    CustomerFactory()
    support.post(
        "/admin/notifications/announcement/",
        {"action": "send", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == AnnouncementStatus.DRAFT


def test_scheduling_sends_it_when_its_time_comes(
    support: Client, draft, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    send_at = timezone.localtime() + timedelta(days=1)
    response = support.post(
        _send_url(draft), {"schedule": "1", "send_at": send_at.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == AnnouncementStatus.SCHEDULED
    assert draft.scheduled_for == send_at.replace(second=0, microsecond=0)
    assert StaffAction.objects.get().action == "announcement_scheduled"
    # A stray sending task does nothing before its time; neither does the periodic run.
    send_announcement(announcement_id=draft.pk)
    assert queue_due_announcements(now=timezone.now()) == 0
    assert not Notification.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert queue_due_announcements(now=send_at + timedelta(minutes=1)) == 1
    draft.refresh_from_db()
    assert draft.status == AnnouncementStatus.SENT
    assert Notification.objects.filter(user=customer.user).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_due_announcements(now=send_at + timedelta(minutes=2)) == 0


def test_a_time_in_the_past_is_refused(support: Client, draft):
    past = timezone.localtime() - timedelta(hours=1)
    response = support.post(
        _send_url(draft), {"schedule": "1", "send_at": past.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 200
    assert "Choose a time in the future" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == AnnouncementStatus.DRAFT


def test_a_schedule_can_be_cancelled_and_the_draft_edited_again(support: Client, draft):
    send_at = timezone.localtime() + timedelta(hours=3)
    support.post(_send_url(draft), {"schedule": "1", "send_at": send_at.strftime("%Y-%m-%dT%H:%M")})
    change_url = f"/admin/notifications/announcement/{draft.pk}/change/"
    assert "Cancel the schedule" in support.get(change_url).content.decode()
    support.post(f"/admin/notifications/announcement/{draft.pk}/unschedule/")
    draft.refresh_from_db()
    assert (draft.status, draft.scheduled_for) == (AnnouncementStatus.DRAFT, None)
    assert [action.action for action in StaffAction.objects.order_by("pk")] == [
        "announcement_scheduled",
        "announcement_unscheduled",
    ]


def test_a_sent_announcement_cannot_be_deleted(support: Client, client: Client, draft):
    draft.status = AnnouncementStatus.SENT
    draft.save()
    from tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory())
    response = client.post(f"/admin/notifications/announcement/{draft.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Announcement.objects.filter(pk=draft.pk).exists()
