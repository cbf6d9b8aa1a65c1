"""The Django admin, installed with the support home page (work queues, customer search)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "workspace.sites.StaffAdminSite"
