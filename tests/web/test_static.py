"""Static files and the test harness page, in process (no browser needed)."""

from __future__ import annotations

import pytest
from django.test import Client

from web import typegen


@pytest.fixture
def client() -> Client:
    return Client()


def test_the_realtime_client_is_served_from_static_with_caching_headers(client):
    res = client.get("/static/collective/realtime.js")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("text/javascript")
    assert "max-age" in res["Cache-Control"]
    assert b"export class RealtimeClient" in res.content
    # Conditional requests are answered 304 (WhiteNoise's ETag/Last-Modified).
    again = client.get("/static/collective/realtime.js", HTTP_IF_NONE_MATCH=res["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/static/admin/css/base.css",
        "/static/rest_framework/css/bootstrap.min.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/collective/realtime.d.ts",
        "/static/collective/events.d.ts",
    ],
)
def test_static_files_of_every_app_are_served_without_collectstatic(client, path):
    assert client.get(path).status_code == 200


def test_a_static_file_that_does_not_exist_is_a_404(client):
    assert client.get("/static/collective/nope.js").status_code == 404


def test_api_docs_load_swagger_ui_from_this_server(client):
    res = client.get("/api/docs/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "jsdelivr" not in html.lower()


def test_the_test_harness_is_off_unless_enabled(client, settings):
    settings.WEB_TEST_HARNESS = False
    assert client.get("/web/test-harness/").status_code == 404
    settings.WEB_TEST_HARNESS = True
    res = client.get("/web/test-harness/")
    assert res.status_code == 200
    assert b"/static/collective/realtime.js" in res.content
    assert "csrftoken" in res.cookies


def test_events_d_ts_is_generated_from_the_catalogue():
    from realtime.catalogue import CATALOGUE

    text = typegen.render()
    assert typegen.OUTPUT.read_text() == text, "web/static/collective/events.d.ts is out of date: python -m web.typegen"
    for spec in CATALOGUE:
        assert f'"{spec.type}": {spec.data.__name__};' in text


def test_the_web_app_choice_lists_are_the_models():
    """core.js lists the offer and ask types for the forms and filters: the models' choices."""
    import json
    import re
    from pathlib import Path

    from collective.models.offers import AskType, OfferType

    core = (Path(__file__).resolve().parents[2] / "web/static/collective/app/core.js").read_text()
    for name, choices in (("OFFER_TYPES", OfferType), ("ASK_TYPES", AskType)):
        listed = json.loads(re.search(rf"export const {name} = (\[[^\]]*\]);", core).group(1))
        assert listed == list(choices.values), name
