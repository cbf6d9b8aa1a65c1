"""Page forms and the services behind them: a service's refusal shown on its form."""

from __future__ import annotations

from django import forms

from portal.api_errors import ApplicationError


def show_error(
    form: forms.Form, error: ApplicationError, field_names: dict[str, str] | None = None
) -> None:
    """Put a service's refusal on the form, next to the field it names when there is one.

    Services name fields as the API does (`postalCode`); `field_names` maps those to the
    form's own names where they differ.
    """
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, field_messages in error.fields.items():
        field = (field_names or {}).get(name, name)
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
