"""The admin home: work queues oldest first with counts and age, and the customer search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import EligibilityStatus, VerificationStatus
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory
from workspace import selectors

pytestmark = pytest.mark.django_db


def _queue(key: str) -> selectors.WorkQueue:
    return next(queue for queue in selectors.list_work_queues() if queue.key == key)


def test_orders_to_review_are_oldest_first_with_the_count() -> None:
    now = timezone.now()
    newer = OrderFactory(placed_at=now - timedelta(hours=1))
    oldest = OrderFactory(placed_at=now - timedelta(days=2))
    OrderFactory(status="activated", placed_at=now - timedelta(days=9))
    queue = _queue("orders")
    assert queue.count == 2
    assert [item.label.split(":")[0] for item in queue.items] == [oldest.number, newer.number]
    assert queue.oldest == oldest.placed_at


def test_a_long_queue_shows_its_oldest_ten_and_the_full_count() -> None:
    now = timezone.now()
    orders = [OrderFactory(placed_at=now - timedelta(minutes=n)) for n in range(12)]
    queue = _queue("orders")
    assert queue.count == 12
    assert len(queue.items) == 10
    assert queue.items[0].label.startswith(orders[-1].number)


def test_cards_and_eligibility_checks_waiting_are_queued_oldest_first() -> None:
    now = timezone.now()
    late, early = CustomerFactory(name="Late"), CustomerFactory(name="Early")
    for customer, age in ((late, 1), (early, 5)):
        card = customer.residence_card_verification
        card.status, card.submitted_at = VerificationStatus.PENDING, now - timedelta(days=age)
        card.save()
        check = customer.internet_eligibility
        check.status, check.requested_at = EligibilityStatus.PENDING, now - timedelta(days=age)
        check.save()
    for key in ("residence_cards", "eligibility"):
        queue = _queue(key)
        assert queue.count == 2
        assert [item.customer for item in queue.items] == ["Early", "Late"]


def test_the_home_page_shows_the_queues_in_few_queries(
    support: Client, django_assert_max_num_queries
) -> None:
    for n in range(15):
        OrderFactory(placed_at=timezone.now() - timedelta(hours=n))
    with django_assert_max_num_queries(14):
        response = support.get("/admin/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Orders to review (15)" in page
    assert "waiting" in page
    assert "All 15" in page
    assert 'name="q"' in page


@pytest.mark.parametrize(
    "query",
    [
        "alice@example.org",
        "ALICE",
        "001ALICE000000001",
        "090-1234-5678",
        "09012345678",
        "ORD-A1",
        "INV-A1",
    ],
)
def test_customers_are_found_by_every_handle(support: Client, query: str) -> None:
    alice = CustomerFactory(
        name="Alice Example",
        user__email="alice@example.org",
        crm_account_id="001ALICE000000001",
        phone="090-1234-5678",
    )
    OrderFactory(customer=alice, number="ORD-A1")
    InvoiceFactory(customer=alice, number="INV-A1")
    CustomerFactory(name="Bob Other", phone="080-9999-0000")
    response = support.get("/admin/accounts/customer/", {"q": query})
    assert response.status_code == 200
    assert [customer.pk for customer in response.context["cl"].result_list] == [alice.pk]


def test_a_customer_with_many_orders_is_listed_once(support: Client) -> None:
    alice = CustomerFactory(name="Alice Example")
    OrderFactory.create_batch(3, customer=alice, status="activated")
    response = support.get("/admin/accounts/customer/", {"q": "Alice"})
    assert response.context["cl"].result_count == 1


def test_the_search_is_for_staff_only(client: Client, customer) -> None:
    client.force_login(customer.user)
    response = client.get("/admin/accounts/customer/", {"q": "a"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_open_support_requests_are_queued_oldest_first() -> None:
    from support.services import create_support_request

    now = timezone.now()
    early, late = CustomerFactory(name="Early"), CustomerFactory(name="Late")
    create_support_request(customer=late, topic="orders", message="Where?", now=now)
    create_support_request(
        customer=early, topic="billing", message="Why?", now=now - timedelta(days=1)
    )
    queue = _queue("support_requests")
    assert queue.count == 2
    assert [item.customer for item in queue.items] == ["Early", "Late"]


def test_workflows_the_sweep_found_stuck_are_queued_oldest_first(support: Client) -> None:
    from outbox.models import SweepRecord

    now = timezone.now()
    order = OrderFactory(status="approved", approved_at=now - timedelta(hours=3))
    newer = OrderFactory(status="provisioning", provisioning_at=now - timedelta(hours=2))
    SweepRecord.objects.create(
        sweep="orders.fulfillment",
        object_id=newer.pk,
        first_found_at=now - timedelta(hours=1),
        last_enqueued_at=now,
        attempts=3,
    )
    SweepRecord.objects.create(
        sweep="orders.fulfillment",
        object_id=order.pk,
        first_found_at=now - timedelta(hours=2),
        last_enqueued_at=now,
        attempts=2,
    )
    # Enqueued again once only: the sweep is still handling it, nobody needs to look.
    SweepRecord.objects.create(
        sweep="orders.fulfillment",
        object_id=999,
        first_found_at=now - timedelta(hours=5),
        last_enqueued_at=now,
        attempts=1,
    )
    queue = _queue("stuck")
    assert queue.count == 2
    assert [item.url for item in queue.items] == [
        f"/admin/orders/order/{order.pk}/change/",
        f"/admin/orders/order/{newer.pk}/change/",
    ]
    page = support.get("/admin/").content.decode()
    assert "Workflows the sweep found stuck (2)" in page
    assert f"Order fulfillment #{order.pk}" in page
