"""`/admin/login/` with the limits of the API's logins (it had none): failed attempts per client
address (the `login` rate, 10/min) and per account (`login_account`, 20/hour), answered with
`429` and `Retry-After`. Django's admin login view itself is unchanged."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from collective.services.users import login_account_key, login_account_limit
from core.ratelimit import Limit


def _client_limit() -> Limit:
    return Limit("admin-login-client", settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"])


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    client = request.META.get("REMOTE_ADDR", "")
    account = login_account_key(request.POST.get("username", ""))
    wait = _client_limit().retry_after(client) or login_account_limit().retry_after(account)
    if wait:
        response = HttpResponse(
            f"Too many failed logins; try again in {wait} s.\n", status=429, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = str(wait)
        return response
    response = admin.site.login(request, extra_context)
    if response.status_code != 302:  # the form was shown again: the credentials were refused
        _client_limit().hit(client)
        login_account_limit().hit(account)
    return response
