"""The admin site support staff work in: its home page shows the work queues and a search."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.forms import StaffLoginForm
from workspace import selectors


class StaffAdminSite(admin.AdminSite):
    site_header = "Customer portal: support"
    site_title = "Support"
    index_title = "Work waiting"
    index_template = "workspace/admin/index.html"
    # A throttled attempt says so and how long to wait, rather than calling a right password
    # wrong (accounts.throttling).
    login_form = StaffLoginForm

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = {"work_queues": selectors.list_work_queues(), **(extra_context or {})}
        return super().index(request, context)
