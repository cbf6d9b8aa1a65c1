"""The cancellation form of /account/services/<id>/cancel: choose, then confirm."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.formats import format_day
from subscriptions.services import COMMENTS_MAX_LENGTH, CancellationOptions

# The service's field names in ApplicationError.fields, mapped onto this form's fields.
SERVICE_FIELDS = {"effectiveOn": "effective_on", "reason": "reason", "comments": "comments"}


class CancellationForm(forms.Form):
    """Offers exactly the dates and reasons the service offers at this moment."""

    effective_on = forms.TypedChoiceField(
        label=_("Last day of service"),
        help_text=_("Your service works until the end of this day (Japan time)."),
        coerce=date.fromisoformat,
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(label=_("Why are you cancelling?"), widget=forms.RadioSelect)
    comments = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=COMMENTS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, options: CancellationOptions, **kwargs: Any):
        super().__init__(*args, **kwargs)
        effective_on = self.fields["effective_on"]
        assert isinstance(effective_on, forms.TypedChoiceField)
        effective_on.choices = [
            (day.isoformat(), format_day(day)) for day in options.effective_dates
        ]
        reason = self.fields["reason"]
        assert isinstance(reason, forms.ChoiceField)
        reason.choices = options.reasons

    def add_service_errors(self, fields: dict[str, list[str]]) -> None:
        for name, errors in fields.items():
            for error in errors:
                self.add_error(SERVICE_FIELDS.get(name), error)


class ConfirmCancellationForm(CancellationForm):
    """The review step: the same choices, carried in hidden inputs, and an explicit yes."""

    confirm = forms.BooleanField(
        label=_("I understand that my service ends at the end of the chosen day."),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("effective_on", "reason", "comments"):
            self.fields[name].widget = forms.HiddenInput()
