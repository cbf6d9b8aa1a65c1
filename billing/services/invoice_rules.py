"""The rules of a monthly invoice: its period, each subscription's segments (a plan and its
first and last day), day-prorated prices rounded down to the yen, and the tax worked out once
per invoice and rate (DESIGN.md section 12). The billing run (`billing.services.run`) applies
them; so can anyone who must say what a month will cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from portal.dates import add_months, in_tokyo, month_end, tokyo_today
from portal.text import Text
from subscriptions.models import Plan, Subscription

DUE_DAY = 27
TAX_RATE_PERCENT = 10
YEN = Decimal("1")
CENTS = Decimal("0.01")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --- The rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One calendar month in Tokyo, the month a monthly invoice bills."""

    start: date
    end: date

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        return cls(start=date(year, month, 1), end=month_end(year, month))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def issued_on(self) -> date:
        """The 1st of the next month, whenever the run gets to it."""
        return self.end + timedelta(days=1)

    @property
    def due_date(self) -> date:
        return self.issued_on.replace(day=DUE_DAY)

    @property
    def names(self) -> Text:
        """ "November 2026" / "2026年11月"."""
        return Text(
            en=f"{_MONTH_NAMES_EN[self.start.month - 1]} {self.start.year}",
            ja=f"{self.start.year}年{self.start.month}月",
        )


def billing_period(*, now: datetime) -> Period:
    """The month before the one `now` falls in, in Tokyo."""
    today = tokyo_today(now=now)
    year, month = add_months(today.year, today.month, -1)
    return Period.of_month(year, month)


@dataclass(frozen=True)
class Segment:
    """A stretch of a month a subscription ran on one plan, both days included."""

    plan: Plan
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def last_day_of_service(subscription: Subscription, *, scheduled_end: date | None) -> date | None:
    """The last day (Tokyo) a subscription ran or will run; None while it has no end.

    A cancelled service stops at `cancelled_at` (midnight after its last day, when a
    scheduled cancellation completed): the last day is the one it still ran in. A
    cancellation still scheduled ends on its effective date.
    """
    if subscription.cancelled_at is not None:
        return in_tokyo(subscription.cancelled_at - timedelta(microseconds=1)).date()
    return scheduled_end


def subscription_segments(
    subscription: Subscription, *, period: Period, scheduled_end: date | None = None
) -> list[Segment]:
    """What `subscription` ran in `period`: from its activation day (or the 1st) to its
    last day (or the month's end), on its plan. Empty when it did not run that month."""
    if subscription.activated_at is None:
        return []
    first = max(in_tokyo(subscription.activated_at).date(), period.start)
    end = last_day_of_service(subscription, scheduled_end=scheduled_end)
    last = period.end if end is None else min(end, period.end)
    if last < first:
        return []
    return [Segment(plan=subscription.plan, first_day=first, last_day=last)]


def prorate(*, price: Decimal, days: int, days_in_month: int) -> Decimal:
    """The price of `days` of a month, rounded down to the yen; the whole month is the price."""
    if days >= days_in_month:
        return price.quantize(CENTS)
    return (price * days / days_in_month).quantize(YEN, rounding=ROUND_FLOOR).quantize(CENTS)


def tax_included(total: Decimal) -> Decimal:
    """The consumption tax inside a tax-included total at 10%, worked out once per invoice
    (the qualified invoice rule): floor(total * 10 / 110)."""
    rate = Decimal(TAX_RATE_PERCENT)
    return (total * rate / (100 + rate)).quantize(YEN, rounding=ROUND_FLOOR).quantize(CENTS)


def _days_en(first: date, last: date) -> str:
    first_month, last_month = _MONTHS_EN[first.month - 1], _MONTHS_EN[last.month - 1]
    return f"{first.day} {first_month} – {last.day} {last_month}"  # noqa: RUF001


def _days_ja(first: date, last: date) -> str:
    return f"{first.month}月{first.day}日〜{last.month}月{last.day}日"


@dataclass(frozen=True)
class DraftLine:
    description: str
    description_ja: str
    amount: Decimal


def segment_line(segment: Segment, *, period: Period) -> DraftLine:
    """The plan and the days, in both languages: "Hikari 1G (1 Nov - 30 Nov)", and in
    Japanese with full-width brackets and a wave dash."""
    plan = segment.plan
    first, last = segment.first_day, segment.last_day
    return DraftLine(
        description=f"{plan.name} ({_days_en(first, last)})",
        description_ja=f"{plan.name_ja or plan.name}（{_days_ja(first, last)}）",  # noqa: RUF001
        amount=prorate(price=plan.monthly_price, days=segment.days, days_in_month=period.days),
    )


# --- The run ---------------------------------------------------------------------------------
