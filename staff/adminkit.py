"""Admin building blocks for models that only services change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
