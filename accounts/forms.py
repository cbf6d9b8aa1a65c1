"""Forms of the login, language switch and account settings pages, and the admin's login."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import throttling
from accounts.models import Language
from accounts.validators import normalize_phone
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


class StaffLoginForm(AdminAuthenticationForm):
    """The admin's login: a throttled attempt says so and how long to wait, rather than
    calling a right password wrong."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            retry_after = throttling.login_refusal()
            if retry_after is None:
                raise
            raise ValidationError(
                throttling.refusal_message(retry_after), code="throttled"
            ) from None


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False)


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
