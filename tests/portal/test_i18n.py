"""The Japanese catalog is complete and compiled, and pages speak the customer's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import InvoiceFactory, PaymentMethodFactory, SubscriptionFactory
from tests.po import PO_FILE, read_po

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
ENTRIES = [entry for entry in read_po(PO_FILE) if entry.msgid]


def test_the_catalog_has_the_portals_strings():
    assert len(ENTRIES) > 300
    assert any(entry.msgid == "Welcome, %(name)s" for entry in ENTRIES)


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [entry.msgid for entry in ENTRIES if not all(entry.msgstrs)]
    fuzzy = [entry.msgid for entry in ENTRIES if "fuzzy" in entry.flags]
    header = read_po(PO_FILE)[0]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstrs[0]


def test_translations_keep_every_placeholder():
    for entry in ENTRIES:
        expected = sorted(set(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid)))
        for msgstr in entry.msgstrs:
            assert sorted(set(PLACEHOLDER.findall(msgstr))) == expected, entry.msgid


def test_the_compiled_catalog_matches_the_po_file():
    """A .po edited without running compilemessages would ship stale Japanese."""
    with translation.override("ja"):
        for entry in ENTRIES:
            if entry.msgid_plural:
                assert translation.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgstrs[0]
            elif entry.context:
                assert translation.pgettext(entry.context, entry.msgid) == entry.msgstrs[0]
            else:
                assert translation.gettext(entry.msgid) == entry.msgstrs[0], entry.msgid


@pytest.mark.django_db
def test_the_dashboard_speaks_japanese_to_a_japanese_customer(browser_client, customer):
    customer.language = "ja"
    customer.save(update_fields=["language"])
    SubscriptionFactory(customer=customer)
    PaymentMethodFactory(customer=customer)
    invoice = InvoiceFactory(
        customer=customer, due_date=timezone.localdate() - timedelta(days=3), total=5500
    )
    page = browser_client.get("/account/").content.decode()
    assert '<html lang="ja">' in page
    assert "ようこそ、Alice Example 様" in page
    assert f"請求書 {invoice.number} のお支払い期限を過ぎています" in page
    assert "5,500円" in page and "¥5,500" not in page
    due = invoice.due_date
    assert f"{due.year}年{due.month}月{due.day}日" in page
    assert "ログアウト" in page and "Log out" not in page


@pytest.mark.django_db
def test_the_login_page_follows_the_browser_until_a_language_is_chosen(client):
    assert "Log in to your account" in client.get("/login").content.decode()
    japanese = client.get("/login", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "アカウントにログイン" in japanese
    client.post("/language", {"language": "en", "next": "/login"})
    chosen = client.get("/login", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Log in to your account" in chosen
