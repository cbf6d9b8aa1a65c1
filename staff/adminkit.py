"""Admin building blocks for models that only services change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from portal.api_errors import ApplicationError


class ServiceOwnedAdmin(admin.ModelAdmin):
    """A model that only its services change: no add, no delete, a read-only row page.

    The "change" permission still opens the list's actions and the row's buttons, which
    call services; `can_act` is how a button asks for it.
    """

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    def can_act(self, request: HttpRequest) -> bool:
        return super().has_change_permission(request)

    def check_can_act(self, request: HttpRequest) -> None:
        if not self.can_act(request):
            raise PermissionDenied

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        context["can_act"] = self.can_act(request)
        return super().render_change_form(request, context, add, change, form_url, obj)


class DecisionAdmin(ServiceOwnedAdmin):
    """Rows support looks at but changes only through a decision form that calls a service."""

    # Services name fields as the API does; this maps those names to the form's where they differ.
    form_fields: dict[str, str] = {}

    def _can_decide(self, request: HttpRequest) -> bool:
        return self.can_act(request)

    def _show_error(self, form: Any, error: ApplicationError) -> None:
        """Put a service's refusal next to the form field it names (services speak API names)."""
        for name, field_messages in (error.fields or {"": [error.message]}).items():
            field = self.form_fields.get(name, name)
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
