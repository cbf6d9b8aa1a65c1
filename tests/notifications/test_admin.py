from __future__ import annotations

import pytest

from notifications.models import Announcement, Notification
from tests.factories import CustomerFactory, NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("term", ["findme@example.com", "ORDER_FAILED", "801FIND000000001"])
def test_notifications_are_searchable_by_customer_type_and_source(admin_client, term):
    customer = CustomerFactory(user__email="findme@example.com")
    NotificationFactory(user=customer.user, type="ORDER_FAILED", source_id="801FIND000000001")
    NotificationFactory(type="SYSTEM_ANNOUNCEMENT", source_id="other")
    response = admin_client.get("/admin/notifications/notification/", {"q": term})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_staff_write_and_send_an_announcement_and_see_its_progress(
    admin_client, staff_user, django_capture_on_commit_callbacks
):
    customers = [CustomerFactory() for _ in range(3)]
    response = admin_client.post(
        "/admin/notifications/announcement/add/",
        {"title": "New plans", "message": "Faster fiber is here.", "audience": "all"},
    )
    assert response.status_code == 302
    item = Announcement.objects.get()
    assert (item.status, item.created_by) == ("draft", staff_user)

    send_url = f"/admin/notifications/announcement/{item.pk}/send/"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            send_url, {"send_now": "1", "expected_count": str(len(customers))}, follow=True
        )
    assert "is being sent to 3 customers" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "sent"
    assert Notification.objects.filter(source_id=str(item.pk)).count() == len(customers)

    listing = admin_client.get("/admin/notifications/announcement/").content.decode()
    assert "3 / 3" in listing


def test_sending_a_sent_announcement_again_is_refused_with_a_message(admin_client):
    item = Announcement.objects.create(title="Old news", message="Done.", status="sent")
    response = admin_client.post(
        f"/admin/notifications/announcement/{item.pk}/send/",
        {"send_now": "1", "expected_count": "0"},
        follow=True,
    )
    assert "was already sent" in response.content.decode()


def test_a_sent_announcement_can_no_longer_be_edited(admin_client):
    item = Announcement.objects.create(title="Old news", message="Done.", status="sent")
    page = admin_client.get(f"/admin/notifications/announcement/{item.pk}/change/")
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()


def test_customers_cannot_open_the_admin(browser_client):
    response = browser_client.get("/admin/notifications/announcement/")
    assert response.status_code == 302
