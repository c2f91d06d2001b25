from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from maoyi.core.errors import DomainError
from maoyi.core.net import client_address
from maoyi.org.scope import employee_of
from maoyi.org.services import LoginRefused, authenticate_login, change_own_password
from maoyi.web.forms import StyledForm, apply_domain_error


class LoginForm(StyledForm):
    username = forms.CharField(
        label=_("用户名"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True})
    )
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(label=_("原密码"), strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("新密码"), strip=False, widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("确认新密码"), strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "web:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate_login(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                address=client_address(request),
                request=request,
            )
        except LoginRefused as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user)
            return redirect(next_url or "web:home")
    status = 400 if form.errors else 200
    return render(request, "web/accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("您已退出登录。"))
    return redirect("web:login")


@sensitive_post_parameters()
def password_change_view(request: HttpRequest) -> HttpResponse:
    employee = employee_of(request.user)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and employee is not None:
        try:
            change_own_password(
                employee,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            update_session_auth_hash(request, employee.user)
            messages.success(request, _("密码已修改。"))
            return redirect("web:home")
    return render(
        request, "web/accounts/password_change.html", {"form": form}, status=400 if form.errors else 200
    )
