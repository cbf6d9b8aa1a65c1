"""Support staff screens for logins, customers and identity checks."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Customer, InternetEligibility, ResidenceCardVerification, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_staff", "is_active", "date_joined"]
    search_fields = ["email"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class InternetEligibilityInline(admin.StackedInline):
    model = InternetEligibility
    can_delete = False
    extra = 0
    readonly_fields = ["status", "postal_code", "address", "requested_at", "checked_at", "notes"]


_REVIEW_FIELDS = (
    "status",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "rejection_reason",
    "card_expires_on",
)


class ResidenceCardVerificationInline(admin.StackedInline):
    model = ResidenceCardVerification
    can_delete = False
    extra = 0
    fields = _REVIEW_FIELDS
    readonly_fields = _REVIEW_FIELDS


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "crm_account_id", "language", "created_at"]
    search_fields = ["name", "user__email", "crm_account_id", "phone"]
    list_filter = ["language"]
    list_select_related = ["user"]
    readonly_fields = ["created_at"]
    inlines = [InternetEligibilityInline, ResidenceCardVerificationInline]

    @admin.display(ordering="user__email")
    def email(self, customer: Customer) -> str:
        return customer.user.email


@admin.register(InternetEligibility)
class InternetEligibilityAdmin(admin.ModelAdmin):
    list_display = ["customer", "status", "postal_code", "requested_at", "checked_at"]
    list_filter = ["status"]
    search_fields = [
        "customer__name",
        "customer__user__email",
        "customer__crm_account_id",
        "address",
    ]
    list_select_related = ["customer__user"]
    readonly_fields = [
        "customer",
        "status",
        "postal_code",
        "address",
        "requested_at",
        "checked_at",
        "notes",
    ]


@admin.register(ResidenceCardVerification)
class ResidenceCardVerificationAdmin(admin.ModelAdmin):
    list_display = ["customer", "status", "submitted_at", "reviewed_at"]
    list_filter = ["status"]
    search_fields = ["customer__name", "customer__user__email", "customer__crm_account_id"]
    list_select_related = ["customer__user"]
    exclude = ["front_image", "back_image"]
    readonly_fields = [
        "customer",
        "status",
        "front_content_type",
        "back_content_type",
        "submitted_at",
        "reviewed_at",
        "reviewed_by",
        "rejection_reason",
        "card_expires_on",
    ]
