"""Billing changes show on the dashboard at once: the snapshot and the billing API agree."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Customer
from billing.models import Invoice

pytestmark = pytest.mark.django_db


def _task_ids(api) -> list[str]:
    return [task["id"] for task in api.get("/api/me/status").json()["tasks"]]


@pytest.fixture
def rejected_api():
    from tests.conftest import bearer_client

    call_command("seed_demo", "--force")
    return bearer_client(Customer.objects.get(crm_account_id="001DEMO000000003").user)


@pytest.fixture
def overdue_api():
    from tests.conftest import bearer_client

    call_command("seed_demo", "--force")
    return bearer_client(Customer.objects.get(crm_account_id="001DEMO000000002").user)


def test_adding_a_first_payment_method_removes_the_add_payment_method_task(rejected_api):
    assert "add_payment_method" in _task_ids(rejected_api)
    assert rejected_api.get("/api/me/status").json()["paymentMethods"] == {"totalCount": 0}

    added = rejected_api.post("/api/payment-methods", {"token": "tok_visa"}, format="json")

    assert added.status_code == 201
    status = rejected_api.get("/api/me/status").json()
    assert status["paymentMethods"] == {"totalCount": 1}
    assert "add_payment_method" not in [task["id"] for task in status["tasks"]]


def test_removing_the_only_method_brings_the_task_back(rejected_api):
    method = rejected_api.post("/api/payment-methods", {"token": "tok_visa"}, format="json").json()
    assert rejected_api.delete(f"/api/payment-methods/{method['id']}").status_code == 204
    assert "add_payment_method" in _task_ids(rejected_api)


def test_a_paid_invoice_leaves_the_invoice_due_tasks(overdue_api):
    from billing.services.invoices import mark_invoice_paid

    tasks = [
        task
        for task in overdue_api.get("/api/me/status").json()["tasks"]
        if task["type"] == "invoice_due"
    ]
    assert [task["tone"] for task in tasks] == ["critical", "warning"]
    overdue_id = int(tasks[0]["id"].split(":")[1])

    mark_invoice_paid(invoice_id=overdue_id)

    remaining = [
        task
        for task in overdue_api.get("/api/me/status").json()["tasks"]
        if task["type"] == "invoice_due"
    ]
    assert [task["id"] for task in remaining] == [tasks[1]["id"]]
    assert Invoice.objects.get(pk=overdue_id).status == "paid"
    unpaid = overdue_api.get("/api/invoices?status=unpaid").json()["items"]
    assert [invoice["id"] for invoice in unpaid] == [int(tasks[1]["id"].split(":")[1])]


def test_dashboard_invoice_links_land_on_the_right_invoice(overdue_api, client):
    status = overdue_api.get("/api/me/status").json()
    customer = Customer.objects.get(crm_account_id="001DEMO000000002")
    client.force_login(customer.user)
    for task in status["tasks"]:
        invoice_id = int(task["id"].split(":")[1])
        page = client.get(task["href"])
        assert page.status_code == 200
        assert Invoice.objects.get(pk=invoice_id).number in page.content.decode()
        detail = overdue_api.get(f"/api/invoices/{invoice_id}").json()
        assert detail["href"] == task["href"]
        assert detail["dueDate"] == task["dueDate"]
