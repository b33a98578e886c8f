"""Log-in forms for the site and the admin, both through the lockout of accounts/lockout.py."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from . import lockout


class LockoutMixin:
    """AuthenticationForm.clean(), with the password checked through the lockout."""

    login_path = "login"

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = lockout.authenticate(self.request, username=username, password=password,
                                                       path=self.login_path)
            except lockout.LoginLocked as exc:
                raise forms.ValidationError(exc.detail, code="login_locked")
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class LoginForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    login_path = "admin"
