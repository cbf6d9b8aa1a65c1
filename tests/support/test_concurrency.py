"""Staff replying at once on PostgreSQL: every reply is stored and told once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from notifications.models import Notification
from support import services
from support.models import SupportMessage
from tests.factories import StaffUserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_replies_each_notify_the_customer_exactly_once(customer):
    support_request = services.create_support_request(
        customer=customer, topic="billing", message="Charged twice?"
    ).support_request
    authors = [StaffUserFactory() for _ in range(4)]
    barrier = threading.Barrier(len(authors))
    errors: list[Exception] = []

    def reply(author) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            services.reply_to_support_request(
                support_request_id=support_request.pk,
                author=author,
                message=f"Answer from {author.pk}",
                language="en",
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=reply, args=(author,)) for author in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    replies = SupportMessage.objects.filter(request=support_request, author_kind="staff")
    assert replies.count() == 4
    notified = Notification.objects.filter(user=customer.user, type="SUPPORT_REPLIED")
    assert sorted(notified.values_list("source_id", flat=True)) == sorted(
        str(pk) for pk in replies.values_list("pk", flat=True)
    )
