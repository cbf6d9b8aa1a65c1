from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from tests.browser.conftest import log_in, screenshot

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
