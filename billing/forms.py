"""Forms of the billing pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import InvoiceStatus


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
