"""The order form of /account/orders/new: one per kind of plan."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Plan, PlanKind


class PlaceOrderForm(forms.Form):
    plan = forms.ChoiceField(
        label=_("Plan"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a plan."),
            "invalid_choice": _("Choose one of the plans shown."),
        },
    )
    installation_address = forms.CharField(
        label=_("Installation address"),
        error_messages={"required": _("Enter the address where we install the line.")},
        help_text=_("Where we install the line, with the building and room number."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    # The service names fields as the API does; these are the same fields on the form.
    service_fields = {"planCode": "plan", "installationAddress": "installation_address"}

    def __init__(self, *args: Any, kind: str, plans: list[Plan], language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        plan_field = self.fields["plan"]
        assert isinstance(plan_field, forms.ChoiceField)
        plan_field.choices = [(plan.code, plan.name_in(language)) for plan in plans]
        if kind != PlanKind.INTERNET:
            del self.fields["installation_address"]

    def add_service_error(self, fields: dict[str, list[str]] | None, message: str) -> None:
        """Show an ApplicationError from the service on the fields it names, or on the form."""
        placed = False
        for name, errors in (fields or {}).items():
            field = self.service_fields.get(name)
            if field in self.fields:
                for error in errors:
                    self.add_error(field, error)
                placed = True
        if not placed:
            self.add_error(None, message)
