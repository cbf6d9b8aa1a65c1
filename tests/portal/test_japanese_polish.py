"""Japanese pages as a Japanese company writes them: the name with 様, family name first
where the name says which it is; 支払期限超過; 非表示; a polite to-do heading; dates with a
space before the time; postal codes that never break at the hyphen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from accounts.names import family_name_first, name_for_reader
from billing.services.reminders import notify_invoice_due
from notifications.services.email import build_notification_email
from tests.factories import (
    InternetSubscriptionFactory,
    InvoiceFactory,
    NotificationFactory,
    PaymentMethodFactory,
    SubscriptionFactory,
)


@pytest.mark.parametrize(
    ("stored", "japanese"),
    [
        ("山田 太郎", "山田 太郎"),
        ("山田\u3000太郎", "山田 太郎"),
        ("山田太郎", "山田太郎"),
        ("Taro YAMADA", "YAMADA Taro"),
        ("YAMADA Taro", "YAMADA Taro"),
        ("Yamada, Taro", "Yamada Taro"),
        ("Maria Santos", "Maria Santos"),  # which part is the family name is not said
        ("  Alex   Kim ", "Alex Kim"),
    ],
)
def test_family_name_first_where_the_name_says_which_it_is(stored, japanese):
    assert family_name_first(stored) == japanese
    assert name_for_reader(stored, "ja") == japanese


def test_english_keeps_the_order_the_customer_wrote():
    assert name_for_reader("Taro YAMADA", "en") == "Taro YAMADA"


@pytest.fixture
def japanese(customer):
    customer.language = "ja"
    customer.name = "山田\u3000太郎"
    customer.save(update_fields=["language", "name"])
    return customer


@pytest.mark.django_db
def test_the_dashboard_greets_and_heads_politely_in_japanese(browser_client, japanese):
    SubscriptionFactory(customer=japanese)
    PaymentMethodFactory(customer=japanese)
    InvoiceFactory(customer=japanese, due_date=timezone.localdate() - timedelta(days=3))
    page = browser_client.get("/account/").content.decode()
    assert "ようこそ、山田 太郎 様" in page
    assert ">山田 太郎 様</a>" in page  # the header
    assert "お手続きのお願い" in page and "やること" not in page
    assert "支払期限超過" in page and "期限切れ" not in page


@pytest.mark.django_db
def test_notifications_are_hidden_not_archived_in_japanese(browser_client, japanese):
    NotificationFactory(user=japanese.user)
    page = browser_client.get("/account/notifications").content.decode()
    assert "非表示にする" in page and "アーカイブ" not in page


@pytest.mark.django_db
def test_the_email_names_the_customer_family_name_first_with_sama(japanese):
    from notifications.models import NotificationEmail

    japanese.name = "Taro YAMADA"
    japanese.save(update_fields=["name"])
    invoice = InvoiceFactory(customer=japanese, due_date=timezone.localdate())
    notify_invoice_due(user=japanese.user, invoice=invoice)
    record = NotificationEmail.objects.get(user=japanese.user)
    message = build_notification_email(record=record)
    assert message is not None
    assert "YAMADA Taro 様" in message.body


def test_japanese_dates_have_a_space_before_the_time():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import formats

    with translation.override("ja"):
        moment = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
        assert formats.date_format(moment, "DATETIME_FORMAT") == "2026年12月1日 9:30"


def test_japanese_headings_do_not_break_inside_words_and_postal_codes_stay_whole():
    css = (Path(settings.BASE_DIR) / "static/css/portal.css").read_text()
    assert ":lang(ja) h1" in css and "word-break: keep-all" in css and "line-break: strict" in css
    assert ".postal-code {\n  white-space: nowrap;" in css


@pytest.mark.django_db
def test_postal_codes_are_wrapped_where_addresses_are_shown(browser_client, customer):
    from eligibility.services import request_internet_eligibility

    request_internet_eligibility(
        customer=customer,
        postal_code="150-0002",
        address="1-2-3 Shibuya, Shibuya-ku, Tokyo 150-0002",
        now=timezone.now(),
    )
    for path in ("/account/eligibility", "/account/"):
        page = browser_client.get(path).content.decode()
        assert '<span class="postal-code">150-0002</span>' in page, path
    subscription = InternetSubscriptionFactory(
        customer=customer, installation_address="〒153-0063 東京都目黒区目黒2-11-3 <b>"
    )
    page = browser_client.get(f"/account/services/{subscription.pk}").content.decode()
    assert '<span class="postal-code">〒153-0063</span> 東京都目黒区目黒2-11-3 &lt;b&gt;' in page
