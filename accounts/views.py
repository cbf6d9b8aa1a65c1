"""Log in and out, password reset, the language switch and the account settings page."""

from __future__ import annotations

from typing import Literal, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts import services, throttling, tokens
from accounts.forms import (
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
)
from accounts.models import User
from accounts.selectors import (
    get_customer_for_user,
)
from portal.api_errors import ApplicationError
from portal.forms import show_error

SameSite = Literal["Lax", "Strict", "None", False] | None

# The session remembers a language picked before logging in, so the login can keep it.
CHOSEN_LANGUAGE_KEY = "chosen_language"


def _safe_next(request: HttpRequest, fallback: str | None = None) -> str:
    if fallback is None:
        fallback = reverse("dashboard")
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else fallback


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.log_in(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                request=request,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = error.status_code if error.code == "throttled" else 200
            retry_after = error.retry_after
        else:
            login(request, user)
            redirected = redirect(_safe_next(request))
            customer = getattr(user, "customer", None)
            if customer is not None:
                # A language chosen on the login page, just before, is the customer's choice.
                chosen = request.session.pop(CHOSEN_LANGUAGE_KEY, None)
                if chosen:
                    services.set_language(customer=customer, language=chosen)
                _remember_language(redirected, customer.language)
            return redirected
    response = render(
        request,
        "accounts/login.html",
        {"form": form, "next": _safe_next(request, "")},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _remember_language(response: HttpResponse, language: str) -> None:
    """The browser keeps the customer's language, so the login page speaks it after logout."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast(SameSite, settings.LANGUAGE_COOKIE_SAMESITE),
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("login")


@require_POST
def choose_language_view(request: HttpRequest) -> HttpResponse:
    """The login page's switch: this browser's language until the visitor logs in."""
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(_safe_next(request, reverse("login")))
    if form.is_valid():
        language = form.cleaned_data["language"]
        request.session[CHOSEN_LANGUAGE_KEY] = language
        _remember_language(response, language)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request: the same answer whether or not the email has an account."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        allowed = throttling.allow_password_reset_mail(
            email=form.cleaned_data["email"], client_address=self.request.META.get("REMOTE_ADDR")
        )
        if not allowed:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        throttling.clear_login_failures(
            email=form.user.email, client_address=self.request.META.get("REMOTE_ADDR")
        )
        tokens.revoke_all_tokens(user=form.user)
        return response


@login_required
@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(_safe_next(request))
    if form.is_valid():
        customer = get_customer_for_user(user=request.user)
        services.set_language(customer=customer, language=form.cleaned_data["language"])
        translation.activate(customer.language)
        _remember_language(response, customer.language)
    return response


# --- Account settings: one page, one section per concern -------------------------------------


def _settings_page(
    request: HttpRequest, *, status: int = 200, **posted: forms.Form
) -> HttpResponse:
    """The settings page with each section's form: the one just posted (bound, with its
    errors) or a fresh one. A new section adds its form here and an include to the page."""
    customer = get_customer_for_user(user=request.user)
    context: dict[str, forms.Form] = {
        "profile_form": ProfileForm(
            initial={"name": customer.name, "phone": customer.phone, "language": customer.language}
        ),
        "password_form": PasswordChangeForm(),
    }
    context.update(posted)
    return render(
        request, "accounts/settings.html", {"customer": customer, **context}, status=status
    )


@login_required
@require_GET
def settings_view(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


@login_required
@require_POST
def settings_profile_view(request: HttpRequest) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            services.update_profile(customer=customer, **form.cleaned_data)
        except ApplicationError as error:
            show_error(form, error)
        else:
            translation.activate(customer.language)
            messages.success(request, _("Your profile is saved."))
            response = redirect("account-settings")
            _remember_language(response, customer.language)
            return response
    return _settings_page(request, profile_form=form)


@login_required
@require_POST
@sensitive_post_parameters("current_password", "new_password", "new_password_again")
def settings_password_view(request: HttpRequest) -> HttpResponse:
    get_customer_for_user(user=request.user)  # a customer's page: 404 for staff
    form = PasswordChangeForm(request.POST)
    status = 200
    if form.is_valid():
        user = request.user
        assert isinstance(user, User)
        try:
            services.change_password(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                request=request,
            )
        except ApplicationError as error:
            show_error(
                form, error, {"currentPassword": "current_password", "newPassword": "new_password"}
            )
            status = error.status_code if error.code == "throttled" else 200
        else:
            # This browser stays logged in; every other session and app token is logged out.
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password is changed."))
            return redirect("account-settings")
    return _settings_page(request, status=status, password_form=form)
