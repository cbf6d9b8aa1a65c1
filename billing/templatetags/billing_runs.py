"""The admin home's billing run panel reads its own rows, so any page can include it."""

from __future__ import annotations

from django import template

from billing.models import BillingRun
from billing.selectors import latest_billing_runs as select_latest_billing_runs

register = template.Library()


@register.simple_tag
def latest_billing_runs() -> list[BillingRun]:
    return select_latest_billing_runs()
