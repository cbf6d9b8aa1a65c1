"""The threads' migration: a request's message and its staff replies become its messages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import CustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(target: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_the_message_and_the_replies_become_the_thread_in_order():
    customer = CustomerFactory(language="ja")
    staff = StaffUserFactory()
    old = _migrate([("support", "0001_initial")])
    now = timezone.now()
    request = old.get_model("support", "SupportRequest").objects.create(
        customer_id=customer.pk,
        topic="billing",
        message="請求について",
        status="answered",
        created_at=now,
        updated_at=now,
    )
    old.get_model("support", "SupportReply").objects.create(
        request_id=request.pk, author_id=staff.pk, message="Answer", language="en", created_at=now
    )
    try:
        new = _migrate([("support", "0002_threads")])
        migrated = new.get_model("support", "SupportRequest").objects.get(pk=request.pk)
        assert (migrated.status, migrated.last_customer_message_at) == ("waiting_on_customer", now)
        messages = new.get_model("support", "SupportMessage").objects.filter(request_id=request.pk)
        assert [
            (m.author_kind, m.body, m.language, m.staff_author_id)
            for m in messages.order_by("created_at", "id")
        ] == [("customer", "請求について", "ja", None), ("staff", "Answer", "en", staff.pk)]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
