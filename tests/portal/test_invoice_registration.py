"""The qualified invoice registration number: its check digit, and the start-up check."""

from __future__ import annotations

from django.conf import settings

from portal.invoice_registration import corporate_number_check_digit, registration_number_problem
from tests.portal.test_settings import _run_settings

PRODUCTION = {"SECRET_KEY": "k" * 64, "PAYMENT_PROCESSOR_ALLOW_TEST": "true"}
PRINT_IT = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.INVOICE_REGISTRATION_NUMBER)"
)


def test_the_check_digit_of_the_national_tax_agencys_own_corporate_number():
    # 国税庁, corporate number 7000012050002.
    assert corporate_number_check_digit("000012050002") == 7
    assert registration_number_problem("T7000012050002") is None


def test_a_wrong_check_digit_or_format_is_named():
    assert "check digit" in (registration_number_problem("T1234567890123") or "")
    assert "13 digits" in (registration_number_problem("T700001205000") or "")
    assert "13 digits" in (registration_number_problem("7000012050002") or "")


def test_the_default_registration_number_passes_its_check_digit():
    assert registration_number_problem(settings.INVOICE_REGISTRATION_NUMBER) is None


def test_with_debug_off_an_invalid_registration_number_refuses_to_start():
    refused = _run_settings({**PRODUCTION, "INVOICE_REGISTRATION_NUMBER": "T1234567890123"})
    assert refused.returncode != 0
    assert "INVOICE_REGISTRATION_NUMBER 'T1234567890123'" in refused.stderr
    valid = _run_settings({**PRODUCTION, "INVOICE_REGISTRATION_NUMBER": "T7000012050002"}, PRINT_IT)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.split() == ["T7000012050002"]


def test_with_debug_on_an_invalid_registration_number_starts_with_a_warning():
    result = _run_settings({"DEBUG": "true", "INVOICE_REGISTRATION_NUMBER": "T12345"}, PRINT_IT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["T12345"]
    assert "is not a qualified invoice registration number" in result.stderr
