"""The admin site support staff work in."""

from __future__ import annotations

from django.contrib import admin


class StaffAdminSite(admin.AdminSite):
    site_header = "Customer portal: support"
    site_title = "Support"
    index_title = "Work waiting"
