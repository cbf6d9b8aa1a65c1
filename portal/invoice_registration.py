"""Japan's qualified invoice issuer registration number (適格請求書発行事業者登録番号).

It is "T" and the issuer's 13-digit corporate number (法人番号), whose first digit checks
the other twelve. Imports nothing from Django: the settings check it at start-up.
"""

from __future__ import annotations

import re

_FORMAT = re.compile(r"T([0-9])([0-9]{12})")


def corporate_number_check_digit(base: str) -> int:
    """The check digit of a corporate number's other 12 digits (National Tax Agency rule).

    9 - (sum of P(n) * Q(n) mod 9), with P(n) the n-th digit counted from the right and
    Q(n) 1 for odd n, 2 for even n.
    """
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), 1))
    return 9 - total % 9


def registration_number_problem(number: str) -> str | None:
    """Why `number` is not a registration number, or None when it is one."""
    match = _FORMAT.fullmatch(number)
    if match is None:
        return "it must be T followed by 13 digits"
    check, base = match.groups()
    if int(check) != corporate_number_check_digit(base):
        return (
            f"its check digit (the first digit) is {check}, but the other twelve give "
            f"{corporate_number_check_digit(base)}"
        )
    return None
