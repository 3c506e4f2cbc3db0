"""Pages of the `web` app."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def test_harness(request: HttpRequest) -> HttpResponse:
    """`/web/test-harness/`: an empty page of this origin that loads the realtime client from
    /static/ and exposes it to the browser tests (tests/web/). 404 unless WEB_TEST_HARNESS is on."""
    if not getattr(settings, "WEB_TEST_HARNESS", False):
        raise Http404("The test harness is not enabled.")
    return render(request, "web/test_harness.html")
