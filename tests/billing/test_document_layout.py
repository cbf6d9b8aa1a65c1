"""Every PDF, in both languages and with long names: labels and amounts apart, in order, and
nothing printed over anything else, read back as text (pypdf) and as a rendered page
(poppler's pdftotext and pdftoppm)."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pypdf import PdfReader

from billing import documents
from billing.models import Payment, PaymentStatus
from billing.processor import TestPaymentProcessor
from billing.services.refunds import refund_payment
from tests.factories import InvoiceFactory, InvoiceLineFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
LONG_NAME = {
    "en": "Alexandria Konstantinopoulou-Wellington Yamanouchi-Fitzgerald of Setagaya",
    "ja": "長谷川部山之内小路左衛門三郎太郎兵衛之助丸之内太郎左衛門花子",
}
LONG_ADDRESS = {
    "en": "Sakura Tower 42F, 1-2-3 Shibuya, Shibuya-ku, Tokyo 150-0002, Japan "
    "(Customer Centre, Billing and Refunds Department)",
    "ja": "〒150-0002 東京都渋谷区渋谷1-2-3 さくらタワー42階 カスタマーセンター 料金・返金担当部門",
}
LANGUAGES = ("en", "ja")
DOCUMENTS = ("invoice", "receipt", "credit_note")

# (label, amount) rows each document must print, in this order, in each language. Japanese
# labels use full-width parentheses, as the documents print them.
ROWS = {
    ("invoice", "en"): [
        ("Amount billed (tax included)", "¥7,480"),
        ("Total for the 10% rate (tax included)", "¥7,480"),
        ("Consumption tax at 10%", "¥680"),
        ("Total (tax included)", "¥7,480"),
    ],
    ("invoice", "ja"): [
        ("ご請求金額（税込）", "7,480円"),  # noqa: RUF001
        ("10%対象（税込）", "7,480円"),  # noqa: RUF001
        ("消費税（10%）", "680円"),  # noqa: RUF001
        ("合計（税込）", "7,480円"),  # noqa: RUF001
    ],
    ("receipt", "en"): [("Of which consumption tax at 10%", "¥680")],
    ("receipt", "ja"): [("うち消費税（10%）", "680円")],  # noqa: RUF001
    ("credit_note", "en"): [
        ("Refund for the 10% rate (tax included)", "¥1,000"),
        ("Consumption tax refunded at 10%", "¥90"),
    ],
    ("credit_note", "ja"): [
        ("10%対象の返金額（税込）", "1,000円"),  # noqa: RUF001
        ("うち返金する消費税（10%）", "90円"),  # noqa: RUF001
    ],
}


@pytest.fixture(autouse=True)
def _long_issuer_address(settings):
    settings.INVOICE_ISSUER_ADDRESS = LONG_ADDRESS["en"]
    settings.INVOICE_ISSUER_ADDRESS_JA = LONG_ADDRESS["ja"]
    TestPaymentProcessor.refunds.clear()


def render(kind: str, language: str, customer, staff_user) -> bytes:
    customer.name = LONG_NAME[language]
    customer.save(update_fields=["name"])
    invoice = InvoiceFactory(
        customer=customer,
        number="INV-2026-000042",
        issued_on=date(2026, 12, 1),
        due_date=date(2026, 12, 27),
        total=Decimal("7480"),
        tax=Decimal("680"),
        status="paid",
    )
    InvoiceLineFactory(
        invoice=invoice,
        description="Hikari 1G with the router rental and the long-named option pack (December)",
        amount=Decimal("7480"),
    )
    if kind == "invoice":
        return documents.render_invoice_pdf(invoice=invoice, language=language)
    payment = Payment.objects.create(
        customer=customer,
        invoice=invoice,
        payment_method=PaymentMethodFactory(customer=customer),
        method_description="Visa •••• 4242",
        idempotency_key="pay",
        amount=invoice.total,
        status=PaymentStatus.SUCCEEDED,
        processor_reference="ch_test_1",
        created_at=NOW,
        paid_at=NOW,
    )
    if kind == "receipt":
        return documents.render_receipt_pdf(payment=payment, language=language)
    refund = refund_payment(
        payment_id=payment.pk, amount=Decimal("1000"), reason="Goodwill", actor=staff_user, now=NOW
    )
    return documents.render_credit_note_pdf(refund=refund, language=language)


def lines_of(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_each_label_and_its_amount_are_apart_and_in_order(kind, language, customer, staff_user):
    lines = lines_of(render(kind, language, customer, staff_user))
    found = []
    for label, amount in ROWS[(kind, language)]:
        # A space between them: "10% ¥680", never "10%¥678" run together.
        row = f"{label} {amount}"
        assert row in lines, f"{row!r} not a line of {lines}"
        found.append(lines.index(row, found[-1] + 1 if found else 0))
    assert found == sorted(found)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_long_names_and_addresses_wrap_and_print_in_full(kind, language, customer, staff_user):
    lines = lines_of(render(kind, language, customer, staff_user))
    joined = "".join(lines) if language == "ja" else " ".join(lines)
    assert LONG_NAME[language] in joined
    assert LONG_ADDRESS[language].replace(" ", "") in joined.replace(" ", "")
    assert "T9234567890123" in joined or re.search(r"T\d{13}", joined)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_credit_note_states_what_the_qualified_invoice_rules_ask(
    language, customer, staff_user
):
    text = "\n".join(lines_of(render("credit_note", language, customer, staff_user)))
    expected = {
        "en": ["Credit note", "INV-2026-000042", "Dec. 1, 2026", "Dec. 5, 2026", "CRN-"],
        "ja": ["返還インボイス", "INV-2026-000042", "2026年12月1日", "2026年12月5日", "CRN-"],
    }
    for piece in expected[language]:
        assert piece in text
    assert re.search(r"T\d{13}", text)


def test_the_tax_in_a_refund_is_rounded_down():
    assert documents.refund_tax(Decimal("1000")) == Decimal("90")
    assert documents.refund_tax(Decimal("1100")) == Decimal("100")
    assert documents.refund_tax(Decimal("1")) == Decimal("0")


# --- The rendered page (poppler) ---------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float

    def overlaps(self, other: Word, *, slack: float = 0.3) -> bool:
        return (
            self.x_min < other.x_max - slack
            and other.x_min < self.x_max - slack
            and self.y_min < other.y_max - slack
            and other.y_min < self.y_max - slack
        )


WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def words_of(content: bytes, tmp_path: Path) -> list[Word]:
    pdf = tmp_path / "document.pdf"
    pdf.write_bytes(content)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [
        Word(text, float(x0), float(y0), float(x1), float(y1))
        for x0, y0, x1, y1, text in WORD.findall(html)
    ]


def rendered(content: bytes, tmp_path: Path) -> Image.Image:
    """The first page at 72 dpi (a pixel is a point, as pdftotext's boxes), in grey."""
    pdf = tmp_path / "document.pdf"
    pdf.write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "72",
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    return Image.open(png).convert("L")


def has_ink(image: Image.Image, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = (round(value) for value in box)
    return image.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))).getextrema()[0] < 128


@pytest.mark.poppler
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_no_text_prints_over_other_text(kind, language, customer, staff_user, tmp_path):
    words = words_of(render(kind, language, customer, staff_user), tmp_path)
    assert len(words) > 10
    clashes = [
        (a.text, b.text) for i, a in enumerate(words) for b in words[i + 1 :] if a.overlaps(b)
    ]
    assert clashes == []


@pytest.mark.poppler
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_on_the_rendered_page_blank_space_parts_each_label_from_its_amount(
    kind, language, customer, staff_user, tmp_path
):
    content = render(kind, language, customer, staff_user)
    words, image = words_of(content, tmp_path), rendered(content, tmp_path)
    assert abs(image.size[0] - 595) <= 1 and abs(image.size[1] - 842) <= 1  # A4, in points
    for label, amount in ROWS[(kind, language)]:
        last_of_label = label.split()[-1]
        ends = [w for w in words if w.text == last_of_label]
        values = [w for w in words if w.text == amount]
        pairs = [
            (end, value) for end in ends for value in values if abs(end.y_min - value.y_min) < 2
        ]
        assert pairs, f"{label!r} and {amount!r} are not on one row"
        end, value = pairs[0]
        assert value.x_min - end.x_max > 10, f"{label!r} runs into {amount!r}"
        assert has_ink(image, (end.x_min, end.y_min, end.x_max, end.y_max))
        assert has_ink(image, (value.x_min, value.y_min, value.x_max, value.y_max))
        gap = (end.x_max + 2, end.y_min + 1, value.x_min - 2, end.y_max - 1)
        assert not has_ink(image, gap), f"ink between {label!r} and {amount!r}"
