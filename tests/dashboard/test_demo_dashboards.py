from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Customer
from dashboard.demo import load_demo_data
from dashboard.services import build_me_status

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)
NOW = datetime.combine(TODAY, time(10), tzinfo=ZoneInfo("Asia/Tokyo"))


def dashboard_of(email: str):
    customer = Customer.objects.select_related("user").get(user__email=email)
    return build_me_status(customer=customer, now=NOW)


@pytest.fixture
def demo(db):
    load_demo_data(today=TODAY)


def test_new_persona_sees_onboarding_only(demo):
    assert [task.type for task in dashboard_of("new@demo.example").tasks] == ["onboarding"]


def test_overdue_persona_sees_the_overdue_invoice_then_the_one_due_in_three_days(demo):
    tasks = dashboard_of("overdue@demo.example").tasks
    assert [(task.type, task.tone) for task in tasks] == [
        ("invoice_due", "critical"),
        ("invoice_due", "warning"),
    ]
    assert [task.due_date for task in tasks] == [date(2026, 11, 14), date(2026, 11, 27)]


def test_rejected_persona_sees_four_tasks_in_order(demo):
    assert [task.type for task in dashboard_of("rejected@demo.example").tasks] == [
        "idv_rejected",
        "add_payment_method",
        "eligibility_pending",
        "onboarding",
    ]


def test_ordering_persona_sees_both_orders_provisioning_first(demo):
    tasks = dashboard_of("ordering@demo.example").tasks
    assert [task.type for task in tasks] == ["order_in_progress", "order_in_progress"]
    assert "ORD-D00401" in tasks[0].title  # provisioning, placed first
    assert "ORD-D00402" in tasks[1].title


def test_reloading_the_demo_data_gives_the_same_dashboards(demo):
    first = {email: dashboard_of(email).tasks for email in _emails()}
    load_demo_data(today=TODAY)
    again = {email: dashboard_of(email).tasks for email in _emails()}
    assert [[t.type for t in tasks] for tasks in first.values()] == [
        [t.type for t in tasks] for tasks in again.values()
    ]


def _emails() -> list[str]:
    return [
        "new@demo.example",
        "overdue@demo.example",
        "rejected@demo.example",
        "ordering@demo.example",
    ]


@pytest.mark.parametrize(
    "email",
    ["new@demo.example", "overdue@demo.example", "rejected@demo.example", "ordering@demo.example"],
)
def test_the_json_is_what_the_documented_serializer_gives(demo, email):
    """The API writes the snapshot out by hand (the hot path); the schema's serializer agrees."""
    from django.utils.translation import override

    from dashboard.api import MeStatusOutput, _me_status_json

    status = dashboard_of(email)
    with override("en"):
        assert _me_status_json(status) == MeStatusOutput(status).data


def test_the_sweeps_of_a_running_worker_and_beat_leave_every_persona_as_it_was(
    demo, django_capture_on_commit_callbacks
):
    """DESIGN.md section 10 holds in every mode: beat's first sweep after the seed, and
    those of the week after, find nothing of the personas' to finish."""
    from datetime import timedelta

    from orders.models import Order
    from outbox.sweeps import sweep_unfinished_work

    def state():
        tasks = {
            email: [(task.type, task.title) for task in dashboard_of(email).tasks]
            for email in _emails()
        }
        orders = sorted(Order.objects.values_list("number", "status"))
        return tasks, orders

    before = state()
    for hours in (0, 1, 24, 7 * 24):
        with django_capture_on_commit_callbacks(execute=True):
            swept = sweep_unfinished_work(now=NOW + timedelta(hours=hours))
        assert set(swept.values()) == {0}, swept
    assert state() == before
    ordering = before[0]["ordering@demo.example"]
    assert [task_type for task_type, _title in ordering] == ["order_in_progress"] * 2
