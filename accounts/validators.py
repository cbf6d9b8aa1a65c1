"""Input formats shared by the API, the pages and the services."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Spaces and the hyphen look-alikes typed in Japanese postal codes: dashes, the minus sign,
# the katakana long vowel mark and their full-width forms.
_DASHES = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d\uff70]")
_POSTAL_CODE = re.compile(r"[0-9]{7}")
# The forms of a postal code the API documents (150-0002, 1500002, full-width digits, 〒),
# as a pattern for its schema; normalize_postal_code takes these and a few more.
POSTAL_CODE_PATTERN = r"^\u3012?[0-9\uff10-\uff19]{3}[-\uff0d]?[0-9\uff10-\uff19]{4}$"


def normalize_postal_code(value: str) -> str:
    """A Japanese postal code as NNN-NNNN, from NNN-NNNN, NNNNNNN, full-width digits or 〒...

    Raises ValidationError for anything that is not seven digits.
    """
    compact = _DASHES.sub("", unicodedata.normalize("NFKC", value or "")).removeprefix("〒")
    if not _POSTAL_CODE.fullmatch(compact):
        raise ValidationError(
            _("Enter a Japanese postal code of seven digits, such as 150-0002."), code="invalid"
        )
    return f"{compact[:3]}-{compact[3:]}"
