"""Pages of the `web` app: the web app's one HTML document, and the realtime client's test harness."""

from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularRedocView

# Where a page behind login sends a visitor who has no session (web/urls.py).
LOGIN_PATH = "/login"


@require_safe
@ensure_csrf_cookie
def app_page(request: HttpRequest, public: bool = False, **params: str) -> HttpResponse:
    """Every route of the web app: the same HTML document (the ES modules route on the client).
    A page behind login answers a visitor without a session with a redirect to the login page,
    which returns to the page asked for (`next`, a path of this site only)."""
    if not public and not request.user.is_authenticated:
        return HttpResponseRedirect(f"{LOGIN_PATH}?next={quote(request.get_full_path(), safe='/?=&')}")
    response = render(request, "web/app.html", {"debug": settings.DEBUG})
    response["Cache-Control"] = "no-store"  # it depends on the session (redirect or page)
    return response


class RedocView(SpectacularRedocView):
    """`/api/redoc/`: ReDoc from drf-spectacular-sidecar's static files, with nothing from outside:
    the template drops the web-font links, and the policy below stops the one image ReDoc's bundle
    loads from its vendor's CDN (the "API docs by Redocly" logo, which hides itself when it fails)."""

    template_name = "web/redoc.html"
    POLICY = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:"
    )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = self.POLICY
        return response


@ensure_csrf_cookie
def test_harness(request: HttpRequest) -> HttpResponse:
    """`/web/test-harness/`: an empty page of this origin that loads the realtime client from
    /static/ and exposes it to the browser tests (tests/web/). 404 unless WEB_TEST_HARNESS is on."""
    if not getattr(settings, "WEB_TEST_HARNESS", False):
        raise Http404("The test harness is not enabled.")
    return render(request, "web/test_harness.html")
