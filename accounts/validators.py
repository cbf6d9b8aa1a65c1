"""Input formats shared by the API, the pages and the services: each rule once, so the form
shows every mistake at once and the service (the API's only check) says the same."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.numbers import normalize_typed_number

_POSTAL_CODE = re.compile(r"[0-9]{7}")
# The forms of a postal code the API documents (150-0002, 1500002, full-width digits, 〒),
# as a pattern for its schema; normalize_postal_code takes these and a few more.
POSTAL_CODE_PATTERN = r"^\u3012?[0-9\uff10-\uff19]{3}[-\uff0d]?[0-9\uff10-\uff19]{4}$"
# A phone number once typed digits are ASCII and it is stripped: it ends in a digit, bracket
# or hyphen (the API's schema states this pattern).
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()-]{4,29}[0-9()-]$")


def normalize_postal_code(value: str) -> str:
    """A Japanese postal code as NNN-NNNN, from NNN-NNNN, NNNNNNN, full-width digits or 〒...

    Raises ValidationError for anything that is not seven digits.
    """
    typed = normalize_typed_number(value or "")
    digits = typed.replace(" ", "").replace("-", "").removeprefix("〒")
    if not _POSTAL_CODE.fullmatch(digits):
        raise ValidationError(
            _("Enter a Japanese postal code of seven digits, such as 150-0002."), code="invalid"
        )
    return f"{digits[:3]}-{digits[3:]}"


def normalize_phone(value: str) -> str:
    """A phone number as typed, with full-width digits and hyphens made ASCII ("" stays "").

    Raises ValidationError for anything but digits with + ( ) - and spaces between them.
    """
    phone = normalize_typed_number(value or "")
    if phone and not PHONE_PATTERN.fullmatch(phone):
        raise ValidationError(
            _("Enter a phone number of digits, for example 090-1234-5678."), code="invalid"
        )
    return phone
