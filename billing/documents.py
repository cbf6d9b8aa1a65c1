"""The PDFs a customer downloads: the qualified invoice (適格請求書) and the receipt (領収書).

Drawn with fpdf2 (no browser at run time) in the customer's language, with IPAex Gothic
embedded (subset) so that Japanese prints on any reader. The font ships in billing/fonts
under the IPA Font License.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from fpdf import FPDF

from accounts.names import name_for_reader
from billing.models import Invoice, Payment
from portal.formats import format_day, format_money

# fontTools reports every table it subsets at INFO: noise in the logs of every download.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "ipaexg.ttf"
FONT = "IPAexGothic"
TAX_RATE = Decimal("0.10")
RATE = {"rate": "10%"}
REGISTRATION_NUMBER = re.compile(r"^T\d{13}$")


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
        self.cell(55, 7, label)
        self.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")

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
