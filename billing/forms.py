"""Forms of the billing pages."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from billing.models import InvoiceStatus, PaymentMethod
from billing.processor import tokenize_test_card, with_expiry
from portal.dates import tokyo_today
from portal.numbers import TypedNumberField


class InvoiceFilterForm(forms.Form):
    """The query string of the invoice list: an optional status and a page cursor."""

    status = forms.ChoiceField(choices=InvoiceStatus.choices, required=False)
    cursor = forms.CharField(required=False, max_length=200)


class AddPaymentMethodForm(forms.Form):
    token = forms.CharField(
        label=_("Card token"),
        max_length=255,
        help_text=_(
            "Your card details go straight to our payment processor, which gives us this "
            "token. We never see or store your card number."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "list": "test-tokens"}
        ),
    )


class TestCardForm(forms.Form):
    """The test processor's hosted card form: a test card number becomes its token."""

    number = TypedNumberField(
        label=_("Card number"),
        max_length=23,
        error_messages={"required": _("Enter the card number.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    expiry = TypedNumberField(
        label=_("Expiry date"),
        help_text=_("MM/YY, as printed on the card."),
        validators=[RegexValidator(r"^(0[1-9]|1[0-2])\s*/\s*[0-9]{2}$")],
        error_messages={
            "required": _("Enter the expiry date."),
            "invalid": _("Enter the expiry date as MM/YY, for example 08/29."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "spellcheck": "false"}),
    )
    security_code = TypedNumberField(
        label=_("Security code"),
        help_text=_("The 3 or 4 digits on the card."),
        validators=[RegexValidator(r"^[0-9]{3,4}$")],
        error_messages={
            "required": _("Enter the security code."),
            "invalid": _("Enter the 3 or 4 digits of the security code."),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or tokyo_today()

    def clean_number(self) -> str:
        token = tokenize_test_card(self.cleaned_data["number"])
        if token is None:
            raise forms.ValidationError(
                _("This test processor only knows the test cards listed below.")
            )
        # The card number ends here: only its token leaves the form.
        self.cleaned_data["card_token"] = token
        return ""

    def clean_expiry(self) -> tuple[int, int]:
        month_text, year_text = self.cleaned_data["expiry"].replace(" ", "").split("/")
        month, year = int(month_text), 2000 + int(year_text)
        if (year, month) < (self.today.year, self.today.month):
            raise forms.ValidationError(
                _("This card has expired. Check the expiry date or use a card that is still valid.")
            )
        return month, year

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "card_token" in cleaned and "expiry" in cleaned:
            month, year = cleaned["expiry"]
            cleaned["token"] = with_expiry(cleaned["card_token"], month=month, year=year)
        return cleaned


class PayInvoiceForm(forms.Form):
    """The card to charge, and a key made when the page is shown: submitting twice pays once."""

    payment_method = forms.ChoiceField(
        label=_("Pay with"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the card to pay with."),
            "invalid_choice": _("Choose one of your payment methods."),
        },
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, methods: list[PaymentMethod], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["payment_method"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(method.pk), str(method)) for method in methods]
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4().hex)
            default = next((m for m in methods if m.is_default), None)
            if default is not None:
                self.initial.setdefault("payment_method", str(default.pk))
