"""Email as a second channel, against a real SMTP server that each test starts on 127.0.0.1.

The rule of the contract: a category with email on, a critical one always; once per
notification, a reminder once per subject and severity; in the customer's language; after
the commit that created it; through the outbox and a Celery task.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from celery.exceptions import Retry
from django.utils import translation
from django.utils.html import escape

from billing.services.reminders import notify_invoice_due
from notifications import catalog
from notifications.models import Notification, NotificationEmail
from notifications.services.email import build_notification_email, retry_unsent_notification_emails
from notifications.services.notify import notify, notify_many
from notifications.services.preferences import update_notification_preferences
from tests.factories import InvoiceFactory
from tests.notifications.concurrency import run_at_once
from tests.notifications.samples import SAMPLE_CONTEXTS

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)


class Mailbox:
    """The SMTP server's side: what it accepted, and how many sends it should refuse first."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = 0
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        import asyncio

        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def parts(self, message: Message) -> dict[str, str]:
        return {
            part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk()
            if not part.is_multipart()
        }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.PORTAL_URL = "https://portal.example"
    try:
        yield mailbox
    finally:
        controller.stop()


def announce(user, source_id: str = "1", now: datetime = NOW) -> Notification | None:
    return notify(
        user=user,
        type="SYSTEM_ANNOUNCEMENT",
        source_id=source_id,
        context={
            "title": "Planned maintenance",
            "message": "Tonight from 1:00.",
            "announcement_id": int(source_id),
        },
        now=now,
    )


def turn_on_announcement_email(user) -> None:
    update_notification_preferences(user=user, changes={"announcements": {"email": True}})


@pytest.mark.django_db
def test_a_notification_is_emailed_once_after_commit_with_both_links(
    smtp, customer, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(customer=customer, due_date=NOW.date() + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify_invoice_due(user=customer.user, invoice=invoice, now=NOW)
        assert notification is not None
    assert smtp.messages == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [message] = smtp.messages
    assert message["To"] == customer.user.email
    assert message["Subject"] == f"Invoice {invoice.number} is due"
    parts = smtp.parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    action = f"https://portal.example/account/billing/invoices/{invoice.pk}"
    preferences = "https://portal.example/account/settings/notifications"
    for body in parts.values():
        assert action in body and preferences in body
        assert "Dear Alice Example" in body
    record = NotificationEmail.objects.get()
    assert record.notification == notification and record.sent_at is not None


@pytest.mark.django_db
def test_the_email_speaks_the_customers_language_at_sending_time(
    smtp, customer, django_capture_on_commit_callbacks
):
    customer.language = "ja"
    customer.save()
    invoice = InvoiceFactory(customer=customer, due_date=NOW.date() + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        notify_invoice_due(user=customer.user, invoice=invoice, now=NOW)
    [message] = smtp.messages
    text = smtp.parts(message)["text/plain"]
    assert "Alice Example 様" in text
    assert "お支払い" in text
    assert '<html lang="ja">' in smtp.parts(message)["text/html"]


@pytest.mark.django_db
def test_a_category_with_email_off_is_not_emailed_but_a_critical_one_is(
    smtp, customer, django_capture_on_commit_callbacks
):
    update_notification_preferences(user=customer.user, changes={"billing": {"email": False}})
    due_soon = InvoiceFactory(customer=customer, due_date=NOW.date() + timedelta(days=3))
    overdue = InvoiceFactory(customer=customer, due_date=NOW.date() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        notify_invoice_due(user=customer.user, invoice=due_soon, now=NOW)
        critical = notify_invoice_due(user=customer.user, invoice=overdue, now=NOW)
    assert critical is not None and critical.severity == "critical"
    [message] = smtp.messages
    assert overdue.number in message["Subject"]
    assert "important notice" in smtp.parts(message)["text/plain"]


@pytest.mark.django_db
def test_announcements_are_not_emailed_by_default(
    smtp, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announce(customer.user, "1")
    assert smtp.messages == []
    turn_on_announcement_email(customer.user)
    with django_capture_on_commit_callbacks(execute=True):
        announce(customer.user, "2")
    assert [message["Subject"] for message in smtp.messages] == ["Planned maintenance"]


@pytest.mark.django_db
def test_a_reminder_is_emailed_once_per_subject_and_severity(
    smtp, customer, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(customer=customer, due_date=NOW.date() + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        for day in range(4):  # two days before, the day before, the due date, overdue
            notify_invoice_due(user=customer.user, invoice=invoice, now=NOW + timedelta(days=day))
    severities = list(
        NotificationEmail.objects.order_by("pk").values_list("notification__severity", flat=True)
    )
    assert severities == ["warning", "critical"]
    assert len(smtp.messages) == 2
    assert Notification.objects.filter(type="INVOICE_DUE").count() == 4


@pytest.mark.django_db
def test_an_announcement_sent_to_many_emails_those_who_asked(
    smtp, customer, other_customer, django_capture_on_commit_callbacks
):
    turn_on_announcement_email(customer.user)
    with django_capture_on_commit_callbacks(execute=True):
        notify_many(
            user_ids=[customer.user.pk, other_customer.user.pk],
            type="SYSTEM_ANNOUNCEMENT",
            source_id="42",
            context={"title": "Planned maintenance", "message": "Tonight.", "announcement_id": 42},
            now=NOW,
        )
    assert [message["To"] for message in smtp.messages] == [customer.user.email]


@pytest.mark.django_db
def test_a_refused_send_is_retried_and_delivered_once(
    smtp, customer, django_capture_on_commit_callbacks
):
    from notifications import tasks

    turn_on_announcement_email(customer.user)
    with django_capture_on_commit_callbacks(execute=False):
        announce(customer.user)
    record = NotificationEmail.objects.get()
    smtp.refuse = 2
    with pytest.raises(Retry) as first:
        tasks.send_notification_emails.apply(args=[[record.pk]])
    assert first.value.when is not None  # scheduled, with the task's backoff
    record.refresh_from_db()
    assert record.sent_at is None and "451" in record.last_error
    with pytest.raises(Retry) as second:
        first.value.sig.apply(throw=True)  # what the worker runs when the countdown is over
    second.value.sig.apply(throw=True)
    assert len(smtp.messages) == 1
    record.refresh_from_db()
    assert record.sent_at is not None and record.attempts == 3 and record.last_error == ""
    # A late duplicate of the retry sends nothing more.
    second.value.sig.apply(throw=True)
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_running_the_task_again_sends_nothing_more(
    smtp, customer, django_capture_on_commit_callbacks
):
    from notifications import tasks

    turn_on_announcement_email(customer.user)
    with django_capture_on_commit_callbacks(execute=True):
        announce(customer.user)
    record = NotificationEmail.objects.get()
    assert tasks.send_notification_emails.delay([record.pk]).get() == 0
    assert retry_unsent_notification_emails(now=NOW + timedelta(hours=1)) == 0
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_lost_task_is_sent_by_the_sweep(smtp, customer, django_capture_on_commit_callbacks):
    turn_on_announcement_email(customer.user)
    with django_capture_on_commit_callbacks(execute=False):
        announce(customer.user)  # the task is never run: lost on the way
    assert smtp.messages == []
    assert retry_unsent_notification_emails(now=NOW + timedelta(minutes=5)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_unsent_notification_emails(now=NOW + timedelta(minutes=20)) == 1
    assert len(smtp.messages) == 1


def build_email(customer, type: str, *, language: str, severity: str | None = None):
    """The email of a notification of `type` (the sample context) for a reader of `language`."""
    customer.language = language
    customer.save(update_fields=["language"])
    notification = notify(
        user=customer.user, type=type, source_id=language, context=SAMPLE_CONTEXTS[type], now=NOW
    )
    assert notification is not None
    if severity is not None:
        notification.severity = severity
    message = build_notification_email(
        record=NotificationEmail(pk=1, user=customer.user, notification=notification)
    )
    assert message is not None
    return notification, message


@pytest.mark.django_db
@pytest.mark.parametrize("type", catalog.TYPES)
def test_every_type_is_emailed_with_its_title_message_and_note_in_both_languages(
    settings, customer, type
):
    settings.PORTAL_URL = "https://portal.example"
    entry = catalog.get_template(type)
    notes = {}
    for language in ("en", "ja"):
        notification, message = build_email(customer, type, language=language)
        with translation.override(language):
            title, body, label = notification.title, notification.message, notification.action_label
            note = str(entry.email_note)
        notes[language] = note
        [(html, _mimetype)] = message.alternatives
        assert message.subject == title
        assert f"{title}\n\n{body}\n" in message.body
        assert f'<h1 style="font-size:20px;margin:0 0 12px">{escape(title)}</h1>' in html
        assert f"<p>{escape(body)}</p>" in html
        if note:
            # Below the message, above the link, in the reader's language.
            assert f"{body}\n\n{note}\n\n\n{label}: " in message.body
            assert f"<p>{escape(body)}</p>\n<p>{escape(note)}</p>\n" in html
        else:
            assert f"{body}\n\n\n{label}: " in message.body
            assert f"<p>{escape(body)}</p>\n\n<p style=" in html
    if notes["en"]:
        assert notes["ja"] != notes["en"], "the note has no Japanese"


@pytest.mark.django_db
def test_a_cancellation_email_invites_the_customer_back_in_their_language(settings, customer):
    _notification, english = build_email(customer, "CANCELLATION_COMPLETED", language="en")
    assert english.subject == "Your service has ended"
    assert "you can order in the portal at any time" in " ".join(english.body.split())
    _notification, japanese = build_email(customer, "CANCELLATION_COMPLETED", language="ja")
    assert japanese.subject == "サービスの解約が完了しました"
    assert "またのご利用をお待ちしております。" in japanese.body
    assert "order in the portal" not in japanese.body


@pytest.mark.django_db
def test_an_overdue_invoice_email_says_it_is_important_below_the_note(settings, customer):
    _notification, message = build_email(
        customer, "INVOICE_DUE", language="ja", severity="critical"
    )
    assert message.subject == "請求書 INV-1 のお支払い期限を過ぎています"
    note = "本メールと行き違いでお支払いいただいている場合は、何卒ご容赦ください。"
    assert note in message.body
    assert message.body.index(note) < message.body.index("重要なお知らせ")


# --- Concurrency, on PostgreSQL -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_tasks_send_one_mail(smtp, customer):
    from notifications import tasks

    turn_on_announcement_email(customer.user)
    smtp.delay = 0.3  # each send takes a while, so the duplicates overlap
    notification = announce(customer.user)  # autocommit: the task ran on commit
    record = NotificationEmail.objects.get(notification=notification)
    NotificationEmail.objects.filter(pk=record.pk).update(sent_at=None)
    smtp.messages.clear()
    results = run_at_once(
        lambda: tasks.send_notification_emails.apply(args=[[record.pk]], throw=True).result,
        threads=5,
    )
    assert sorted(results, key=repr) == [0, 0, 0, 0, 1], [repr(result) for result in results]
    assert len(smtp.messages) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_notified_at_once_is_one_notification_and_one_mail(smtp, customer):
    turn_on_announcement_email(customer.user)
    results = run_at_once(lambda: announce(customer.user, "7"), threads=6)
    assert len([result for result in results if isinstance(result, Notification)]) == 1
    assert not [result for result in results if isinstance(result, Exception)]
    assert len(smtp.messages) == 1


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_sends_it_once_through_the_outbox(smtp, customer, tmp_path: Path):
    from notifications import tasks
    from tests.reliability.processes import celery_worker, wait_for

    turn_on_announcement_email(customer.user)
    email_url = f"smtp://127.0.0.1:{smtp_port(smtp)}"
    with celery_worker(
        tmp_path,
        application_name="notification-email-worker",
        EMAIL_URL=email_url,
        PORTAL_URL="https://portal.example",
    ) as worker:
        notification = announce(customer.user)
        wait_for(lambda: smtp.messages, what="the email", process=worker, timeout=60)
        record = NotificationEmail.objects.get(notification=notification)
        # A redelivered task, twice: nothing more goes out.
        tasks.send_notification_emails.delay([record.pk])
        tasks.send_notification_emails.delay([record.pk])
        wait_for(
            lambda: (
                "send_notification_emails" in worker.log_tail(20000)
                and worker.log_tail(20000).count("succeeded") >= 3
            ),
            what="the duplicates to run",
            process=worker,
        )
    assert len(smtp.messages) == 1
    assert (
        "https://portal.example/account/announcements/1"
        in smtp.parts(smtp.messages[0])["text/plain"]
    )


def _runs(log: str) -> int:
    return sum(
        1
        for line in log.splitlines()
        if "send_notification_emails[" in line and " succeeded " in line
    )


def smtp_port(mailbox: Mailbox) -> int:
    from django.conf import settings

    return int(settings.EMAIL_PORT)
