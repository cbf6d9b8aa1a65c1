from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Customer
from billing.models import Invoice
from orders.models import Order
from orders.services.review import approve_order
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_accessibility import check

# DESIGN.md section 10: every demo persona's dashboard tasks, in order.
PERSONA_TASKS = {
    "new": ["onboarding"],
    "overdue": ["invoice_due", "invoice_due"],
    "rejected": ["idv_rejected", "add_payment_method", "eligibility_pending", "onboarding"],
    "ordering": ["order_in_progress", "order_in_progress"],
}


@pytest.mark.parametrize("persona", list(PERSONA_TASKS))
def test_each_demo_persona_sees_its_tasks_in_order(page, persona):
    log_in(page, f"{persona}@demo.example")
    tasks = page.get_by_role("region", name="To do").get_by_role("listitem")
    assert (
        tasks.evaluate_all("items => items.map(item => item.dataset.taskType)")
        == (PERSONA_TASKS[persona])
    )
    # Every task says what to do and links to where it is done.
    for index in range(tasks.count()):
        task = tasks.nth(index)
        assert task.locator(".task__title").inner_text().strip()
        assert task.get_by_role("link").get_attribute("href").startswith("/account/")
    screenshot(page, f"dashboard-{persona}")


def test_the_overdue_invoice_task_leads_to_the_invoice(page):
    log_in(page, "overdue@demo.example")
    overdue = Invoice.objects.filter(customer__user__email="overdue@demo.example").order_by(
        "due_date"
    )
    overdue = next(invoice for invoice in overdue if invoice.status == "unpaid")
    task = page.get_by_role("region", name="To do").get_by_role("listitem").first
    expect(task).to_contain_text(overdue.number)
    task.get_by_role("link", name="View invoice").click()
    page.wait_for_url(re.compile(rf"/account/billing/invoices/{overdue.pk}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(overdue.number)
    expect(page.locator("main")).to_contain_text("¥")
    screenshot(page, "invoice-overdue")


@pytest.fixture(params=["en", "ja"])
def ordering_language(request: pytest.FixtureRequest, demo: None) -> str:
    Customer.objects.filter(user__email="ordering@demo.example").update(language=request.param)
    return str(request.param)


def test_an_approval_moves_the_whole_dashboard_without_a_reload(page, ordering_language):
    """Support approves ordering@'s SIM order while the dashboard is open: the bell, the
    notifications card, the to-do list, the stats and the activity all follow the stream."""
    log_in(page, "ordering@demo.example")
    tasks = page.get_by_role("region", name=re.compile("^(To do|お手続きのお願い)$")).get_by_role(
        "listitem"
    )
    expect(tasks).to_have_count(2)
    in_progress = page.locator("[data-stat=orders_in_progress] dd")
    active = page.locator("[data-stat=active_subscriptions] dd")
    expect(in_progress).to_have_text("2")
    expect(active).to_have_text("0")
    expect(page.locator("[data-live-stream][data-live]")).to_have_count(1)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    order = Order.objects.get(number="ORD-D00402")
    approve_order(order_id=order.pk)  # as support does; fulfillment runs in process
    order.refresh_from_db()
    assert order.status == "activated"

    expect(page.locator("#latest-notifications li.notification").first).to_contain_text(
        re.compile("active|開通")
    )
    expect(tasks).to_have_count(1)
    expect(in_progress).to_have_text("1")
    expect(active).to_have_text("1")
    expect(page.locator(f'[data-activity-id="order_activated:{order.pk}"]')).to_have_count(1)
    assert navigations == []
    check(page, f"dashboard-live-{ordering_language}")
