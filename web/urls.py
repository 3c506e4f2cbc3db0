"""Pages of the web app (contract §5). One HTML document serves every app route; the ES modules in
web/static/collective/app/ render the page. Each route is listed here so that an unknown path stays
a 404, and so that a page behind login redirects to `/login?next=<path>` before any HTML is sent
(the links of SMS and notification texts land here: notifications/texts.py)."""

from django.urls import path, re_path

from . import views

# (regex without the leading slash, public?) — the client-side table is web/static/collective/app/main.js.
APP_ROUTES: list[tuple[str, bool]] = [
    (r"", True),
    (r"login", True),
    (r"signup", True),
    (r"home", False),
    (r"onboarding", False),
    (r"discover", False),
    (r"discover/(?P<tab>offers|asks|people)", False),
    (r"u/(?P<username>[\w.@+-]{1,150})", False),
    (r"offers/new", False),
    (r"offers/(?P<offer_id>[0-9]{1,18})", False),
    (r"offers/(?P<offer_id>[0-9]{1,18})/edit", False),
    (r"asks/new", False),
    (r"asks/(?P<ask_id>[0-9]{1,18})", False),
    (r"asks/(?P<ask_id>[0-9]{1,18})/edit", False),
    (r"connections", False),
    (r"connections/(?P<connection_id>[0-9]{1,18})", False),
    (r"threads", False),
    (r"threads/(?P<thread_id>[0-9]{1,18})", False),
    (r"notifications", False),
    (r"points", False),
    (r"leaderboard", False),
    (r"credits", False),
    (r"payments/(?P<payment_id>[0-9]{1,18})", False),
    (r"earnings", False),
    (r"settings", False),
]

urlpatterns = [
    re_path(rf"^{pattern}/?$" if pattern else r"^$", views.app_page, {"public": public}, name=f"web-app-{i}")
    for i, (pattern, public) in enumerate(APP_ROUTES)
] + [path("web/test-harness/", views.test_harness, name="web-test-harness")]
