"""The order pages: /account/orders, /account/orders/new and /account/orders/<id>."""

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
    set_verification,
    sim_plan,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


# --- /account/orders -----------------------------------------------------------------------


def test_the_list_shows_the_customers_orders(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan(), status="provisioning")
    response = browser_client.get("/account/orders")
    assert response.status_code == 200
    page = _text(response)
    assert order.number in page
    assert "SIM Data 20GB" in page
    assert f'href="/account/orders/{order.pk}"' in page
    assert "Provisioning" in page


def test_the_list_invites_a_first_order_when_there_is_none(browser_client):
    page = _text(browser_client.get("/account/orders"))
    assert "You have not placed an order yet." in page
    assert 'href="/account/orders/new"' in page


def test_the_list_never_shows_another_customers_orders(browser_client, other_customer):
    order = OrderFactory(customer=other_customer)
    assert order.number not in _text(browser_client.get("/account/orders"))


def test_the_list_pages_to_older_orders(browser_client, customer):
    now = timezone.now()
    orders = [
        OrderFactory(customer=customer, placed_at=now - timedelta(hours=n), status="activated")
        for n in range(21)
    ]
    first = browser_client.get("/account/orders")
    assert orders[-1].number not in _text(first)
    cursor = first.context["next_cursor"]
    older = browser_client.get("/account/orders", {"cursor": cursor})
    assert orders[-1].number in _text(older)
    assert orders[0].number not in _text(older)


def test_a_mangled_cursor_starts_again_from_the_newest(browser_client):
    response = browser_client.get("/account/orders?cursor=garbage")
    assert response.status_code == 302
    assert response["Location"] == "/account/orders"


def test_the_list_costs_the_same_queries_for_1_or_100_orders(
    browser_client, customer, django_assert_max_num_queries, django_assert_num_queries
):
    OrderFactory(customer=customer)
    with django_assert_max_num_queries(6) as light:
        browser_client.get("/account/orders")
    now = timezone.now()
    plans = [sim_plan(code=f"sim-{n}") for n in range(5)]
    for n in range(99):
        OrderFactory(
            customer=customer,
            plan=plans[n % 5],
            status="failed",
            placed_at=now - timedelta(hours=n),
        )
    with django_assert_num_queries(len(light.captured_queries)):
        browser_client.get("/account/orders")


# --- /account/orders/new -------------------------------------------------------------------


def test_the_new_order_page_offers_both_kinds_to_a_ready_customer(browser_client, customer):
    ready_to_order(customer)
    sim_plan()
    internet_plan()
    response = browser_client.get("/account/orders/new")
    assert response.status_code == 200
    page = _text(response)
    assert 'value="sim-data-20gb"' in page and 'value="hikari-1g"' in page
    assert "¥5,280" in page
    # The checked address is offered as the installation address.
    assert ADDRESS in page
    assert "csrfmiddlewaretoken" in page


def test_the_new_order_page_explains_the_eligibility_gate_and_links_to_it(browser_client, customer):
    set_verification(customer, "verified")
    internet_plan()
    page = _text(browser_client.get("/account/orders/new"))
    assert 'href="/account/eligibility"' in page
    assert "we check that our service reaches your address" in page
    assert 'value="hikari-1g"' not in page  # nothing to submit until the gate opens


def test_the_new_order_page_explains_the_verification_gate_and_links_to_it(
    browser_client, customer
):
    set_eligibility(customer, "eligible")
    set_verification(customer, "rejected")
    sim_plan()
    page = _text(browser_client.get("/account/orders/new"))
    assert 'href="/account/verification"' in page
    assert "We could not verify your residence card" in page


def test_the_new_order_page_points_to_the_order_in_progress(browser_client, customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    page = _text(browser_client.get("/account/orders/new"))
    assert f'href="/account/orders/{order.pk}"' in page
    assert f"Your order {order.number} is still in progress" in page


def test_submitting_places_the_order_and_shows_it(browser_client, customer):
    ready_to_order(customer)
    plan = sim_plan()
    response = browser_client.post(
        "/account/orders/new",
        {"kind": "sim", "sim-plan": plan.code, "step": "confirm"},
        follow=True,
    )
    order = Order.objects.get()
    assert response.redirect_chain == [(f"/account/orders/{order.pk}", 302)]
    assert f"We received order {order.number}" in _text(response)


def test_a_double_submit_creates_one_order(browser_client, customer):
    ready_to_order(customer)
    plan = internet_plan()
    data = {
        "kind": "internet",
        "internet-plan": plan.code,
        "internet-installation_address": ADDRESS,
        "step": "confirm",
    }
    first = browser_client.post("/account/orders/new", data)
    second = browser_client.post("/account/orders/new", data, follow=True)
    order = Order.objects.get()
    assert first["Location"] == f"/account/orders/{order.pk}"
    assert second.redirect_chain == [(f"/account/orders/{order.pk}", 302)]
    assert "is still in progress" in _text(second)


def test_choosing_a_plan_shows_the_review_and_places_nothing(browser_client, customer):
    ready_to_order(customer)
    plan = internet_plan()
    response = browser_client.post(
        "/account/orders/new",
        {"kind": "internet", "internet-plan": plan.code, "internet-installation_address": ADDRESS},
    )
    assert response.status_code == 200
    assert not Order.objects.exists()
    page = _text(response)
    assert "Review your order" in page
    assert plan.name in page and "¥5,280 a month" in page
    assert "Installation fee" in page
    card = customer.payment_methods.get()
    assert f"{card.brand} •••• {card.last4}" in page
    assert ADDRESS in page
    assert 'name="step" value="confirm"' in page


def test_the_review_shows_the_sim_issue_fee(browser_client, customer):
    ready_to_order(customer)
    plan = sim_plan(initial_fee=440)
    page = _text(browser_client.post("/account/orders/new", {"kind": "sim", "sim-plan": plan.code}))
    assert "SIM card issue fee" in page and "¥440, once, on your first invoice" in page


def test_changing_the_choices_goes_back_with_the_plan_chosen(browser_client, customer):
    ready_to_order(customer)
    plan = sim_plan()
    response = browser_client.post(
        "/account/orders/new", {"kind": "sim", "sim-plan": plan.code, "step": "edit"}
    )
    assert response.status_code == 200
    assert "Place an order" in _text(response)
    assert response.context["sections"][1].form["plan"].value() == plan.code
    assert not Order.objects.exists()


def test_the_new_order_page_shows_the_checked_address_not_a_text_field(browser_client, customer):
    ready_to_order(customer)
    internet_plan()
    page = _text(browser_client.get("/account/orders/new"))
    assert f'type="hidden" name="internet-installation_address" value="{ADDRESS}"' in page
    assert 'type="text" name="internet-installation_address"' not in page


def test_an_internet_order_without_an_address_says_so_on_the_field(browser_client, customer):
    ready_to_order(customer)
    plan = internet_plan()
    response = browser_client.post(
        "/account/orders/new",
        {"kind": "internet", "internet-plan": plan.code, "internet-installation_address": " "},
    )
    assert response.status_code == 200
    form = response.context["sections"][0].form
    assert form.errors["installation_address"]
    assert not Order.objects.exists()


def test_a_gate_closed_since_the_page_was_shown_is_explained_on_the_form(browser_client, customer):
    set_eligibility(customer, "eligible")
    plan = sim_plan()  # verification was never submitted
    response = browser_client.post("/account/orders/new", {"kind": "sim", "sim-plan": plan.code})
    assert response.status_code == 200
    assert "A SIM needs a verified residence card" in _text(response)
    assert not Order.objects.exists()


def test_a_post_without_a_known_kind_goes_back_to_the_page(browser_client):
    response = browser_client.post("/account/orders/new", {"kind": "tv"})
    assert response.status_code == 302
    assert response["Location"] == "/account/orders/new"


def test_a_plan_of_the_other_kind_is_not_accepted_on_a_form(browser_client, customer):
    ready_to_order(customer)
    response = browser_client.post(
        "/account/orders/new", {"kind": "sim", "sim-plan": internet_plan().code}
    )
    assert response.context["sections"][1].form.errors["plan"]
    assert not Order.objects.exists()


# --- /account/orders/<id> ------------------------------------------------------------------


def test_a_pending_order_shows_the_review_as_the_current_step(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan())
    response = browser_client.get(f"/account/orders/{order.pk}")
    assert response.status_code == 200
    steps = {step.key: step.state for step in response.context["timeline"]}
    assert steps == {
        "placed": "done",
        "approved": "current",
        "provisioning": "upcoming",
        "activated": "upcoming",
    }
    page = _text(response)
    assert order.number in page and order.external_id in page
    assert "Review by our team" in page
    # Nothing moves until support reviews it, so the progress is not polled.
    assert f'hx-get="/account/orders/{order.pk}"' not in page


def test_an_order_in_fulfillment_follows_its_progress(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan(), status="provisioning")
    page = _text(browser_client.get(f"/account/orders/{order.pk}"))
    assert f'hx-get="/account/orders/{order.pk}" hx-trigger="every 5s"' in page
    assert 'aria-current="step"' in page


def test_htmx_gets_only_the_progress(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan(), status="provisioning")
    response = browser_client.get(f"/account/orders/{order.pk}", HTTP_HX_REQUEST="true")
    page = _text(response)
    assert page.lstrip().startswith('<div id="order-progress"')
    assert "<html" not in page
    # The partial and the page share a URL: caches must keep them apart.
    assert "HX-Request" in response["Vary"]


def test_an_activated_order_links_to_its_service(browser_client, customer):
    subscription = SubscriptionFactory(customer=customer)
    order = OrderFactory(
        customer=customer,
        plan=subscription.plan,
        status="activated",
        approved_at=timezone.now(),
        activated_at=timezone.now(),
        subscription=subscription,
    )
    response = browser_client.get(f"/account/orders/{order.pk}")
    assert [step.state for step in response.context["timeline"]] == ["done"] * 4
    assert f'href="/account/services/{subscription.pk}"' in _text(response)


def test_an_open_internet_order_shows_how_the_date_is_agreed_and_an_estimate(
    browser_client, customer
):
    order = OrderFactory(customer=customer, plan=internet_plan(), installation_address=ADDRESS)
    response = browser_client.get(f"/account/orders/{order.pk}")
    schedule = response.context["schedule"]
    assert schedule.estimate is not None and schedule.installed_on is None
    page = _text(response)
    assert "Installation date" in page
    assert "We agree on a date with you once the order is approved." in page
    assert "Estimated start" in page


def test_an_activated_internet_order_shows_its_installation_date(browser_client, customer):
    activated = timezone.now() - timedelta(days=3)
    order = OrderFactory(
        customer=customer,
        plan=internet_plan(),
        installation_address=ADDRESS,
        status="activated",
        approved_at=activated,
        activated_at=activated,
    )
    response = browser_client.get(f"/account/orders/{order.pk}")
    schedule = response.context["schedule"]
    assert schedule.installed_on == timezone.localtime(activated).date()
    assert schedule.estimate is None
    assert "Active since" in _text(response)


def test_the_estimate_counts_from_the_approval_and_never_lies_in_the_past(customer):
    from orders.selectors import get_order_schedule

    placed = timezone.now()
    order = OrderFactory(customer=customer, plan=sim_plan(), placed_at=placed)
    today = timezone.localtime(placed).date()
    assert get_order_schedule(order, today=today).estimate == today + timedelta(days=6)
    order.status, order.approved_at = "approved", placed
    assert get_order_schedule(order, today=today).estimate == today + timedelta(days=4)
    later = today + timedelta(days=30)
    assert get_order_schedule(order, today=later).estimate == later + timedelta(days=1)


def test_a_failed_order_shows_the_reason_in_its_timeline(browser_client, customer):
    order = OrderFactory(
        customer=customer,
        status="failed",
        failed_at=timezone.now(),
        failure_reason="The SIM stock is exhausted.",
    )
    response = browser_client.get(f"/account/orders/{order.pk}")
    timeline = response.context["timeline"]
    assert timeline[-1].key == "failed" and timeline[-1].state == "failed"
    assert "The SIM stock is exhausted." in _text(response)


def test_a_rejected_order_shows_why_it_was_cancelled(browser_client, customer):
    order = OrderFactory(customer=customer, status="cancelled", failure_reason="Duplicate order.")
    response = browser_client.get(f"/account/orders/{order.pk}")
    assert [step.key for step in response.context["timeline"]] == ["placed", "cancelled"]
    assert "Duplicate order." in _text(response)


def test_the_order_page_uses_the_customers_language_for_the_plan(browser_client, customer):
    customer.language = "ja"
    customer.save()
    order = OrderFactory(customer=customer, plan=sim_plan())
    assert "SIM データ 20GB" in _text(browser_client.get(f"/account/orders/{order.pk}"))


def test_another_customers_order_page_is_404(browser_client, other_customer):
    order = OrderFactory(customer=other_customer)
    assert browser_client.get(f"/account/orders/{order.pk}").status_code == 404


@pytest.mark.parametrize("path", ["/account/orders", "/account/orders/new", "/account/orders/1"])
def test_order_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={path}"


def test_placing_an_order_needs_a_login(client):
    response = client.post("/account/orders/new", {"kind": "sim", "sim-plan": "x"})
    assert response.status_code == 302
    assert not Order.objects.exists()


# --- /account/orders/<id>/cancel: asked first, then cancelled -----------------------------


def test_the_order_page_links_to_the_cancel_question_instead_of_cancelling(
    browser_client, customer
):
    order = OrderFactory(customer=customer, plan=sim_plan())
    page = _text(browser_client.get(f"/account/orders/{order.pk}"))
    assert f'<a class="button button--quiet" href="/account/orders/{order.pk}/cancel">' in page
    assert f'action="/account/orders/{order.pk}/cancel"' not in page


def test_the_cancel_question_asks_with_a_form_and_cancels_nothing(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan())
    response = browser_client.get(f"/account/orders/{order.pk}/cancel")
    assert response.status_code == 200
    page = _text(response)
    assert f"Cancel order {order.number}?" in page
    assert f'<form method="post" action="/account/orders/{order.pk}/cancel"' in page
    assert 'name="confirm" value="yes"' in page
    order.refresh_from_db()
    assert order.status == "pending_review"


def test_the_cancel_question_is_asked_in_japanese(browser_client, customer):
    customer.language = "ja"
    customer.save()
    order = OrderFactory(customer=customer, plan=sim_plan())
    page = _text(browser_client.get(f"/account/orders/{order.pk}/cancel"))
    assert f"ご注文 {order.number} をキャンセルしますか？" in page  # noqa: RUF001
    assert "注文をキャンセルする" in page


def test_a_post_without_the_confirmation_only_asks(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan())
    response = browser_client.post(f"/account/orders/{order.pk}/cancel")
    assert response.status_code == 200
    assert f"Cancel order {order.number}?" in _text(response)
    order.refresh_from_db()
    assert order.status == "pending_review"


def test_the_confirmed_cancel_cancels_the_order(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan())
    response = browser_client.post(
        f"/account/orders/{order.pk}/cancel", {"confirm": "yes"}, follow=True
    )
    assert response.redirect_chain == [(f"/account/orders/{order.pk}", 302)]
    assert f"Order {order.number} is cancelled." in _text(response)
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_an_order_being_set_up_is_not_asked_about(browser_client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan(), status="provisioning")
    response = browser_client.get(f"/account/orders/{order.pk}/cancel")
    assert response["Location"] == f"/account/orders/{order.pk}"
    confirmed = browser_client.post(
        f"/account/orders/{order.pk}/cancel", {"confirm": "yes"}, follow=True
    )
    assert "can no longer be cancelled" in _text(confirmed)
    order.refresh_from_db()
    assert order.status == "provisioning"


def test_another_customers_cancel_question_is_404(browser_client, other_customer):
    order = OrderFactory(customer=other_customer, plan=sim_plan())
    assert browser_client.get(f"/account/orders/{order.pk}/cancel").status_code == 404
    answer = browser_client.post(f"/account/orders/{order.pk}/cancel", {"confirm": "yes"})
    assert answer.status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_review"


def test_the_cancel_question_needs_a_login(client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan())
    response = client.get(f"/account/orders/{order.pk}/cancel")
    assert response["Location"].startswith("/login?next=")
