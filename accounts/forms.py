"""Forms of the login, language switch and identity gate pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Language
from accounts.validators import normalize_phone, normalize_postal_code
from portal.numbers import TypedNumberField


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        error_messages={"required": _("Enter your email address.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        error_messages={"required": _("Enter your password.")},
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False)


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

    def clean_postal_code(self) -> str:
        # The service's rule, here too: a bad postal code and a missing address in one go.
        return normalize_postal_code(self.cleaned_data["postal_code"])


# The browser's file picker offers these; the server decides by the file's content.
CARD_FILE_ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"


class ResidenceCardForm(forms.Form):
    front = forms.FileField(
        label=_("Front side"),
        error_messages={"required": _("Choose a photo or scan of the front of your card.")},
        help_text=_("A photo or scan: JPEG, PNG or PDF, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": CARD_FILE_ACCEPT}),
    )
    back = forms.FileField(
        label=_("Back side"),
        error_messages={"required": _("Choose a photo or scan of the back of your card.")},
        help_text=_("A photo or scan: JPEG, PNG or PDF, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": CARD_FILE_ACCEPT}),
    )


# --- Account settings ----------------------------------------------------------------------


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = TypedNumberField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_("For example 090-1234-5678."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def clean_phone(self) -> str:
        # The service's rule, here too: a missing name and a bad phone in one go.
        return normalize_phone(self.cleaned_data["phone"])


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        error_messages={"required": _("Enter your current password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        error_messages={"required": _("Enter a new password.")},
        help_text=_("At least 8 characters, not only digits, and not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        error_messages={"required": _("Enter the new password again.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        new, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", _("The two new passwords are not the same."))
        return cleaned


# --- Support staff (admin) forms -----------------------------------------------------------


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


class ResidenceCardReviewForm(forms.Form):
    status = forms.ChoiceField(
        label="Decision",
        choices=[("verified", "Verified"), ("rejected", "Rejected")],
        widget=forms.RadioSelect,
    )
    card_expires_on = forms.DateField(
        label="Card expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Needed to verify: the date printed on the card.",
    )
    rejection_reason = forms.CharField(
        label="Reason for the customer, in English",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "lang": "en"}),
        help_text="Needed to reject. The customer reads it, so say what to fix.",
    )
    rejection_reason_ja = forms.CharField(
        label="Reason for the customer, in Japanese",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "lang": "ja"}),
        help_text="The same reason in Japanese (例: 裏面の写真が読み取れません。).",
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        status = cleaned.get("status")
        if status == "verified" and not cleaned.get("card_expires_on"):
            self.add_error("card_expires_on", "Enter the expiry date printed on the card.")
        if status == "rejected":
            for field in ("rejection_reason", "rejection_reason_ja"):
                if not (cleaned.get(field) or "").strip():
                    self.add_error(field, "Tell the customer why the card was rejected.")
        return cleaned
