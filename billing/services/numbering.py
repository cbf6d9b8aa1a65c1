"""Invoice numbers: "INV-2027-000042", gapless within each year.

Whoever creates invoices takes their numbers here, inside the transaction that creates them:
the year's row stays locked until that transaction ends, so two writers never take the same
number and a transaction that rolls back gives its numbers back too.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from billing.models import Invoice, InvoiceNumberSequence

NUMBER_DIGITS = 6
_NUMBER = re.compile(r"^INV-(\d{4})-(\d+)$")


def format_invoice_number(*, year: int, number: int) -> str:
    return f"INV-{year}-{number:0{NUMBER_DIGITS}d}"


def _highest_number_given(year: int) -> int:
    """The highest "INV-<year>-N" already on an invoice (numbers written before the
    sequence existed, or by hand); others ("INV-D002-01" in the demo) do not count."""
    highest = 0
    numbers = Invoice.objects.filter(number__startswith=f"INV-{year}-").values_list(
        "number", flat=True
    )
    for number in numbers.iterator():
        match = _NUMBER.match(number)
        if match is not None:
            highest = max(highest, int(match.group(2)))
    return highest


def _locked_sequence(year: int) -> InvoiceNumberSequence:
    sequence = InvoiceNumberSequence.objects.select_for_update().filter(year=year).first()
    if sequence is not None:
        return sequence
    try:
        # A row this transaction inserted is its own until it commits. A writer that gets
        # here at the same time waits on the unique year, fails, and locks the row made.
        with transaction.atomic():
            return InvoiceNumberSequence.objects.create(
                year=year, last_number=_highest_number_given(year)
            )
    except IntegrityError:
        return InvoiceNumberSequence.objects.select_for_update().get(year=year)


def take_invoice_numbers(*, year: int, count: int) -> list[str]:
    """The next `count` numbers of `year`, held by the current transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Invoice numbers are taken inside the transaction that uses them.")
    if count <= 0:
        return []
    sequence = _locked_sequence(year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return [format_invoice_number(year=year, number=n) for n in range(first, first + count)]
