"""GET /api/plans, GET and POST /api/orders, GET /api/orders/{id}."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from tests.factories import OrderFactory, SubscriptionFactory
from tests.orders.support import (
    ADDRESS,
    internet_plan,
    ready_to_order,
    set_eligibility,
    sim_plan,
)

pytestmark = pytest.mark.django_db

ORDER_KEYS = {
    "id",
    "number",
    "externalId",
    "status",
    "plan",
    "placedAt",
    "approvedAt",
    "activatedAt",
    "failedAt",
    "failureReason",
    "subscriptionId",
    "href",
}


def _error_code(response) -> str:
    return response.json()["error"]["code"]


# --- GET /api/plans ------------------------------------------------------------------------


def test_plans_lists_the_active_catalog(api):
    sim = sim_plan(monthly_price="2178.00")
    internet_plan()
    sim_plan(code="sim-retired", active=False)
    response = api.get("/api/plans")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["code"] for item in items] == ["hikari-1g", "sim-data-20gb"]
    assert items[1] == {
        "code": sim.code,
        "kind": "sim",
        "name": "SIM Data 20GB",
        "description": "20 GB of data a month.",
        "monthlyPrice": {"amount": "2178.00", "currency": "JPY"},
    }


def test_plans_filter_by_kind(api):
    sim_plan()
    internet_plan()
    response = api.get("/api/plans?kind=internet")
    assert [item["kind"] for item in response.json()["items"]] == ["internet"]


def test_an_unknown_plan_kind_is_a_400(api):
    response = api.get("/api/plans?kind=tv")
    assert response.status_code == 400
    assert _error_code(response) == "validation_error"
    assert "kind" in response.json()["error"]["fields"]


def test_plans_speak_the_customers_language(api, customer):
    customer.language = "ja"
    customer.save()
    sim_plan()
    [item] = api.get("/api/plans").json()["items"]
    assert item["name"] == "SIM データ 20GB"
    assert item["description"] == "月20GBのデータ。"


def test_plans_need_a_login(anonymous_api):
    assert anonymous_api.get("/api/plans").status_code == 401


# --- POST /api/orders ----------------------------------------------------------------------


def test_placing_an_order_answers_201_with_the_order(api, customer):
    ready_to_order(customer)
    plan = sim_plan()
    response = api.post("/api/orders", {"planCode": plan.code}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == ORDER_KEYS
    order = Order.objects.get()
    assert body["id"] == order.pk
    assert body["number"] == order.number
    assert body["externalId"] == order.external_id
    assert body["status"] == "pending_review"
    assert body["plan"] == {"code": plan.code, "kind": "sim", "name": "SIM Data 20GB"}
    assert body["placedAt"].endswith("+09:00")
    assert body["approvedAt"] is None
    assert body["failureReason"] is None
    assert body["subscriptionId"] is None
    assert body["href"] == f"/account/orders/{order.pk}"
    assert response["Location"] == f"/api/orders/{order.pk}"


def test_an_internet_order_takes_the_installation_address(api, customer):
    ready_to_order(customer)
    plan = internet_plan()
    response = api.post(
        "/api/orders", {"planCode": plan.code, "installationAddress": ADDRESS}, format="json"
    )
    assert response.status_code == 201
    assert Order.objects.get().installation_address == ADDRESS


def test_an_internet_order_without_an_address_is_a_400_on_that_field(api, customer):
    ready_to_order(customer)
    response = api.post("/api/orders", {"planCode": internet_plan().code}, format="json")
    assert response.status_code == 400
    assert _error_code(response) == "validation_error"
    assert set(response.json()["error"]["fields"]) == {"installationAddress"}


def test_an_unknown_plan_is_a_400_on_plan_code(api, customer):
    ready_to_order(customer)
    response = api.post("/api/orders", {"planCode": "nope"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"planCode"}


def test_a_missing_plan_code_is_a_400_on_plan_code(api):
    response = api.post("/api/orders", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"planCode"}


def test_malformed_json_is_a_400(api):
    response = api.post("/api/orders", data="{", content_type="application/json")
    assert response.status_code == 400


def test_internet_without_eligibility_is_a_409(api, customer):
    set_eligibility(customer, "pending")
    response = api.post(
        "/api/orders", {"planCode": internet_plan().code, "installationAddress": ADDRESS}
    )
    assert response.status_code == 409
    assert _error_code(response) == "internet_eligibility_required"
    assert "fields" not in response.json()["error"]


def test_a_sim_without_verification_is_a_409(api):
    response = api.post("/api/orders", {"planCode": sim_plan().code}, format="json")
    assert response.status_code == 409
    assert _error_code(response) == "residence_card_verification_required"


def test_posting_the_same_order_twice_gives_one_order_and_a_409(api, customer):
    ready_to_order(customer)
    plan = sim_plan()
    first = api.post("/api/orders", {"planCode": plan.code}, format="json")
    second = api.post("/api/orders", {"planCode": plan.code}, format="json")
    assert first.status_code == 201
    assert second.status_code == 409
    assert _error_code(second) == "order_already_in_progress"
    assert Order.objects.count() == 1


def test_placing_an_order_needs_a_login(anonymous_api):
    response = anonymous_api.post("/api/orders", {"planCode": "x"}, format="json")
    assert response.status_code == 401
    assert not Order.objects.exists()


# --- GET /api/orders and /api/orders/{id} --------------------------------------------------


def test_orders_lists_the_customers_orders_newest_first(api, customer):
    now = timezone.now()
    older = OrderFactory(customer=customer, placed_at=now - timedelta(days=2), status="failed")
    newer = OrderFactory(customer=customer, placed_at=now - timedelta(days=1))
    response = api.get("/api/orders")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "nextCursor"}
    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    assert all(set(item) == ORDER_KEYS for item in body["items"])
    assert body["nextCursor"] is None


def test_an_activated_order_shows_its_subscription_and_times(api, customer):
    subscription = SubscriptionFactory(customer=customer)
    order = OrderFactory(
        customer=customer,
        status="activated",
        approved_at=timezone.now(),
        activated_at=timezone.now(),
        subscription=subscription,
    )
    body = api.get(f"/api/orders/{order.pk}").json()
    assert body["subscriptionId"] == subscription.pk
    assert body["approvedAt"] and body["activatedAt"]


def test_a_failed_order_shows_why(api, customer):
    order = OrderFactory(
        customer=customer, status="failed", failed_at=timezone.now(), failure_reason="No stock."
    )
    body = api.get(f"/api/orders/{order.pk}").json()
    assert body["failureReason"] == "No stock."
    assert body["failedAt"]


def test_orders_filter_by_status(api, customer):
    OrderFactory(customer=customer, status="failed")
    wanted = OrderFactory(customer=customer, status="pending_review")
    items = api.get("/api/orders?status=pending_review").json()["items"]
    assert [item["id"] for item in items] == [wanted.pk]


def test_an_unknown_status_filter_is_a_400(api):
    response = api.get("/api/orders?status=shipped")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "cursor=garbage"])
def test_bad_paging_parameters_are_a_400(api, query):
    assert api.get(f"/api/orders?{query}").status_code == 400


def test_orders_are_paged_with_a_cursor(api, customer):
    now = timezone.now()
    orders = [
        OrderFactory(customer=customer, placed_at=now - timedelta(hours=n), status="activated")
        for n in range(5)
    ]
    first = api.get("/api/orders?limit=2").json()
    second = api.get(f"/api/orders?limit=2&cursor={first['nextCursor']}").json()
    third = api.get(f"/api/orders?limit=2&cursor={second['nextCursor']}").json()
    seen = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert seen == [order.pk for order in orders]
    assert third["nextCursor"] is None


def test_orders_never_show_another_customers(api, other_customer):
    OrderFactory(customer=other_customer)
    assert api.get("/api/orders").json()["items"] == []


def test_another_customers_order_is_404(api, other_customer):
    order = OrderFactory(customer=other_customer)
    response = api.get(f"/api/orders/{order.pk}")
    assert response.status_code == 404
    assert _error_code(response) == "not_found"


def test_a_missing_order_is_404(api):
    assert api.get("/api/orders/999999").status_code == 404


def test_orders_need_a_login(anonymous_api, customer):
    order = OrderFactory(customer=customer)
    assert anonymous_api.get("/api/orders").status_code == 401
    assert anonymous_api.get(f"/api/orders/{order.pk}").status_code == 401


def test_the_order_list_costs_the_same_queries_for_1_or_100_orders(
    api, customer, django_assert_max_num_queries, django_assert_num_queries
):
    OrderFactory(customer=customer)
    with django_assert_max_num_queries(3) as light:
        api.get("/api/orders?limit=100")
    plans = [sim_plan(code=f"sim-{n}") for n in range(5)]
    now = timezone.now()
    for n in range(99):
        OrderFactory(
            customer=customer,
            plan=plans[n % 5],
            status="activated",
            placed_at=now - timedelta(minutes=n),
        )
    with django_assert_num_queries(len(light.captured_queries)):
        response = api.get("/api/orders?limit=100")
    assert len(response.json()["items"]) == 100


def test_the_schema_documents_the_order_endpoints(anonymous_api):
    schema = anonymous_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths["/api/orders"]) >= {"get", "post"}
    assert set(paths["/api/orders"]["post"]["responses"]) >= {"201", "400", "401", "409"}
    assert "/api/orders/{order_id}" in paths
    assert "/api/plans" in paths
    order_schema = schema.json()["components"]["schemas"]["OrderOutput"]
    assert set(order_schema["properties"]) == ORDER_KEYS


def test_cancel_answers_the_cancelled_order_then_409_once_approved(api, customer):
    from orders.models import Order
    from tests.orders.support import ready_to_order, sim_plan

    ready_to_order(customer)
    placed = api.post("/api/orders", {"planCode": sim_plan().code}, format="json").json()
    response = api.post(f"/api/orders/{placed['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    Order.objects.filter(pk=placed["id"]).update(status="approved")
    response = api.post(f"/api/orders/{placed['id']}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_not_cancellable"


def test_cancel_of_another_customers_order_is_404(other_api, customer):
    from tests.factories import OrderFactory

    order = OrderFactory(customer=customer)
    assert other_api.post(f"/api/orders/{order.pk}/cancel").status_code == 404
