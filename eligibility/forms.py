"""The eligibility page's form and the staff's result form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalize_postal_code
from portal.numbers import TypedNumberField


class InternetEligibilityForm(forms.Form):
    postal_code = TypedNumberField(
        label=_("Postal code"),
        error_messages={"required": _("Enter the postal code of the address.")},
        max_length=16,
        help_text=_("Seven digits, for example 150-0002."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    address = forms.CharField(
        label=_("Address"),
        error_messages={"required": _("Enter the address to check.")},
        max_length=300,
        help_text=_("Prefecture, city, street and building, for example 1-2-3 Shibuya, Tokyo."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    # --- Support staff (admin) forms -----------------------------------------------------------

    def clean_postal_code(self) -> str:
        # The service's rule, here too: a bad postal code and a missing address in one go.
        return normalize_postal_code(self.cleaned_data["postal_code"])


class EligibilityResultForm(forms.Form):
    status = forms.ChoiceField(
        label="Result",
        choices=[("eligible", "Eligible"), ("ineligible", "Ineligible")],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label="Notes for the customer, in English",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "en"}),
        help_text="Shown to the customer on their eligibility page. Write both languages, "
        "or leave both empty.",
    )
    notes_ja = forms.CharField(
        label="Notes for the customer, in Japanese",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "ja"}),
        help_text="The same notes in Japanese, for customers who read the portal in Japanese.",
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        _both_or_neither(self, "notes", "notes_ja")
        return cleaned


def _both_or_neither(form: forms.Form, en: str, ja: str) -> None:
    """Staff text a customer reads is written in both languages (or not at all)."""
    english = (form.cleaned_data.get(en) or "").strip()
    japanese = (form.cleaned_data.get(ja) or "").strip()
    if english and not japanese:
        form.add_error(ja, "Write it in Japanese too: customers read the portal in Japanese.")
    if japanese and not english:
        form.add_error(en, "Write it in English too: customers read the portal in English.")
