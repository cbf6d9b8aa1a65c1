"""The PDFs a customer downloads: the qualified invoice (適格請求書), the receipt (領収書)
and the credit note of a refund (返還インボイス).

Drawn with fpdf2 (no browser at run time) in the customer's language, with IPAex Gothic
embedded (subset) so that Japanese prints on any reader. The font ships in billing/fonts
under the IPA Font License.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from fpdf import FPDF

from accounts.names import name_for_reader
from billing.models import Invoice, Payment, Refund
from portal.formats import format_day, format_money

# fontTools reports every table it subsets at INFO: noise in the logs of every download.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "ipaexg.ttf"
FONT = "IPAexGothic"
TAX_RATE = Decimal("0.10")
RATE = {"rate": "10%"}
REGISTRATION_NUMBER = re.compile(r"^T\d{13}$")
# A pair's label column and the space before its value (mm): the longest English label
# ("Total for the 10% rate (tax included)") fits on one line at 10 pt.
PAIR_LABEL_WIDTH = 85
PAIR_GAP = 4


@dataclass(frozen=True)
class Issuer:
    name: str
    address: str
    registration_number: str


def issuer(*, language: str) -> Issuer:
    number = settings.INVOICE_REGISTRATION_NUMBER
    if not REGISTRATION_NUMBER.match(number):
        raise ImproperlyConfigured(
            "INVOICE_REGISTRATION_NUMBER must be T followed by 13 digits, e.g. T1234567890123."
        )
    ja = language == "ja"
    return Issuer(
        name=settings.INVOICE_ISSUER_NAME_JA if ja else settings.INVOICE_ISSUER_NAME,
        address=settings.INVOICE_ISSUER_ADDRESS_JA if ja else settings.INVOICE_ISSUER_ADDRESS,
        registration_number=number,
    )


def _date(value: date) -> str:
    return format_day(value)


class _Document(FPDF):
    def __init__(self, *, title: str) -> None:
        super().__init__(format="A4")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(FONT, "", str(FONT_PATH))
        self.set_font(FONT, size=10)
        self.set_title(title)
        self.set_creator(settings.INVOICE_ISSUER_NAME)
        self.add_page()

    def heading(self, text: str) -> None:
        self.set_font(FONT, size=20)
        self.cell(0, 12, text, new_x="LMARGIN", new_y="NEXT", align="C")
        self.set_font(FONT, size=10)
        self.ln(4)

    def line_text(self, text: str, *, size: int = 10, align: str = "L") -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT", align=align)
        self.set_font(FONT, size=10)

    def pair(self, label: str, value: str) -> None:
        """A label and its value side by side, each wrapping in its own column.

        However long the label (English ones are) or the value (a long name), the two never
        print over each other: the next row starts below the taller of the two.
        """
        top = self.get_y()
        label_lines = self.multi_cell(PAIR_LABEL_WIDTH, 7, label, dry_run=True, output="LINES")
        assert isinstance(label_lines, list)
        self.multi_cell(PAIR_LABEL_WIDTH, 7, label, new_x="RIGHT", new_y="TOP")
        self.set_xy(self.l_margin + PAIR_LABEL_WIDTH + PAIR_GAP, top)
        self.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
        self.set_xy(self.l_margin, max(self.get_y(), top + 7 * len(label_lines)))

    def rule(self) -> None:
        y = self.get_y() + 2
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.ln(5)


def _issuer_block(pdf: _Document, who: Issuer) -> None:
    pdf.line_text(who.name, size=11, align="R")
    pdf.line_text(who.address, size=9, align="R")
    pdf.line_text(
        _("Registration number: %(number)s") % {"number": who.registration_number},
        size=9,
        align="R",
    )
    pdf.ln(4)


def _addressee(name: str) -> str:
    return _("Customer: %(name)s") % {"name": name_for_reader(name)}


def render_invoice_pdf(*, invoice: Invoice, language: str) -> bytes:
    """The qualified invoice: issuer and registration number, issue date, the period billed
    (the transaction date of a one-off invoice), the lines, and the total and the tax per
    tax rate (everything is at 10%)."""
    with override(language):
        who = issuer(language=language)
        pdf = _Document(title=_("Invoice %(number)s") % {"number": invoice.number})
        pdf.heading(_("Qualified invoice"))
        pdf.line_text(_addressee(invoice.customer.name), size=12)
        pdf.ln(2)
        _issuer_block(pdf, who)
        pdf.pair(_("Invoice number"), invoice.number)
        pdf.pair(_("Issued on"), _date(invoice.issued_on))
        if invoice.period_start is not None and invoice.period_end is not None:
            start, end = invoice.period_start, invoice.period_end
            pdf.pair(
                _("Billing period"),
                _("%(start)s to %(end)s") % {"start": _date(start), "end": _date(end)},
            )
        else:
            # A one-off invoice is for something supplied on the day it was issued.
            pdf.pair(_("Transaction date"), _date(invoice.issued_on))
        pdf.pair(_("Due date"), _date(invoice.due_date))
        pdf.pair(_("Amount billed (tax included)"), format_money(invoice.total, invoice.currency))
        pdf.rule()
        pdf.cell(120, 7, _("Description"))
        pdf.cell(20, 7, _("Tax rate"), align="R")
        pdf.cell(0, 7, _("Amount (tax incl.)"), new_x="LMARGIN", new_y="NEXT", align="R")
        for line in invoice.lines.all():
            y = pdf.get_y()
            pdf.multi_cell(120, 7, line.display_description, new_x="RIGHT", new_y="TOP")
            pdf.set_y(y)
            pdf.set_x(pdf.l_margin + 120)
            pdf.cell(20, 7, "10%", align="R")
            pdf.cell(
                0,
                7,
                format_money(line.amount, invoice.currency),
                new_x="LMARGIN",
                new_y="NEXT",
                align="R",
            )
        pdf.rule()
        pdf.pair(
            _("Total for the %(rate)s rate (tax included)") % RATE,
            format_money(invoice.total, invoice.currency),
        )
        pdf.pair(
            _("Consumption tax at %(rate)s") % RATE, format_money(invoice.tax, invoice.currency)
        )
        pdf.pair(_("Total (tax included)"), format_money(invoice.total, invoice.currency))
        pdf.ln(6)
        pdf.line_text(
            _("All charges are subject to consumption tax at the standard rate of %(rate)s.")
            % RATE,
            size=8,
        )
        return bytes(pdf.output())


def render_receipt_pdf(*, payment: Payment, language: str) -> bytes:
    """The receipt for a payment made through the portal."""
    invoice = payment.invoice
    paid_at = timezone.localtime(payment.paid_at or payment.created_at)
    with override(language):
        who = issuer(language=language)
        pdf = _Document(title=_("Receipt %(number)s") % {"number": payment.receipt_number})
        pdf.heading(_("Receipt"))
        pdf.line_text(_addressee(payment.customer.name), size=12)
        pdf.ln(2)
        _issuer_block(pdf, who)
        pdf.set_font(FONT, size=16)
        pdf.cell(
            0,
            12,
            _("Amount received: %(amount)s")
            % {"amount": format_money(payment.amount, payment.currency)},
            new_x="LMARGIN",
            new_y="NEXT",
            align="C",
        )
        pdf.set_font(FONT, size=10)
        pdf.ln(2)
        pdf.pair(_("Receipt number"), payment.receipt_number)
        pdf.pair(_("Received on"), _date(paid_at.date()))
        pdf.pair(_("For"), _("Invoice %(number)s") % {"number": invoice.number})
        if payment.method_description:
            pdf.pair(_("Paid with"), payment.method_description)
        pdf.pair(
            _("Of which consumption tax at %(rate)s") % RATE,
            format_money(invoice.tax, invoice.currency),
        )
        pdf.ln(4)
        pdf.line_text(_("We have received the amount above. Thank you."), size=10)
        return bytes(pdf.output())


def refund_tax(amount: Decimal) -> Decimal:
    """The consumption tax in a refund at 10%, tax included: floor(amount * 10 / 110)."""
    return (amount * 10 / 110).to_integral_value(rounding=ROUND_FLOOR)


def render_credit_note_pdf(*, refund: Refund, language: str) -> bytes:
    """The credit note (返還インボイス) of a refund under the qualified invoice rules: issuer and
    registration number, the date of the refund, the original invoice's number and date, and
    the amount refunded for the tax rate with the tax in it."""
    payment = refund.payment
    invoice = payment.invoice
    refunded_on = timezone.localtime(refund.created_at).date()
    with override(language):
        who = issuer(language=language)
        pdf = _Document(title=_("Credit note %(number)s") % {"number": refund.credit_note_number})
        pdf.heading(_("Credit note"))
        pdf.line_text(_addressee(payment.customer.name), size=12)
        pdf.ln(2)
        _issuer_block(pdf, who)
        pdf.pair(_("Credit note number"), refund.credit_note_number)
        pdf.pair(_("Refunded on"), _date(refunded_on))
        pdf.pair(_("Original invoice number"), invoice.number)
        pdf.pair(_("Original invoice date"), _date(invoice.issued_on))
        pdf.pair(_("Payment refunded"), payment.receipt_number)
        pdf.rule()
        pdf.pair(
            _("Refund for the %(rate)s rate (tax included)") % RATE,
            format_money(refund.amount, refund.currency),
        )
        pdf.pair(
            _("Consumption tax refunded at %(rate)s") % RATE,
            format_money(refund_tax(refund.amount), refund.currency),
        )
        pdf.ln(4)
        pdf.line_text(
            _("We have refunded the amount above to the way you paid."),
            size=10,
        )
        return bytes(pdf.output())
