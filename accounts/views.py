"""Log in and out, and the language switch of the account header."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import LanguageForm, LoginForm
from accounts.selectors import get_customer_for_user
from portal.api_errors import ApplicationError


def _safe_next(request: HttpRequest, fallback: str = "/account/") -> str:
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
    if request.method == "POST" and form.is_valid():
        try:
            user = services.log_in(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                client_address=request.META.get("REMOTE_ADDR"),
                request=request,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = error.status_code if error.code == "throttled" else 200
        else:
            login(request, user)
            return redirect(_safe_next(request))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": _safe_next(request, "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("login")


@login_required
@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    target = _safe_next(request)
    if form.is_valid():
        customer = get_customer_for_user(user=request.user)
        services.set_language(customer=customer, language=form.cleaned_data["language"])
        translation.activate(customer.language)
    return HttpResponseRedirect(target)
