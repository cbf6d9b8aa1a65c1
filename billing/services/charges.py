"""One-time charges waiting for the next monthly invoice: an order's initial fee, a SIM
reissue's fee. The billing run bills them (billing.services.run)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.models import Customer
from billing.models import UnbilledCharge


def record_charge(
    *,
    customer: Customer,
    description: str,
    description_ja: str,
    amount: Decimal,
    incurred_on: date,
    source_type: str,
    source_id: str | int,
    now: datetime,
) -> UnbilledCharge:
    """Owe `amount` (tax included) on the next monthly invoice, once per source: recording
    the same source again returns the charge recorded the first time."""
    source_id = str(source_id)
    existing = UnbilledCharge.objects.filter(source_type=source_type, source_id=source_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return UnbilledCharge.objects.create(
                customer=customer,
                description=description,
                description_ja=description_ja,
                amount=amount,
                incurred_on=incurred_on,
                source_type=source_type,
                source_id=source_id,
                created_at=now,
            )
    except IntegrityError:
        return UnbilledCharge.objects.get(source_type=source_type, source_id=source_id)
