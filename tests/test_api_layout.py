"""One API layout (docs/architecture.md, "The API layout"): every app's `api/` is one package per area
with its views, serializers and urls side by side, and `api/urls.py` includes every area. Read from the
source, nothing imported."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = sorted(p.parent.parent.name for p in ROOT.glob("*/api/__init__.py"))
AREA_MODULES = {"__init__.py", "views.py", "serializers.py", "urls.py", "filters.py"}
# Modules allowed directly in an app's api/ besides __init__.py and urls.py, and why.
SHARED = {
    "collective": {"common.py": "serializers shared by areas and apps; to become collective/representations.py"},
}
# Apps whose api/ is still flat (views.py, serializers.py, urls.py), and why. Only shrinks.
KNOWN_FLAT: dict[str, str] = {}


def areas(app: str) -> list[str]:
    return sorted(p.parent.name for p in (ROOT / app / "api").glob("*/__init__.py"))


def test_every_app_api_is_one_package_per_area():
    assert {"collective", "notifications", "realtime"} <= set(APPS)
    for app in APPS:
        api = ROOT / app / "api"
        loose = {p.name for p in api.glob("*.py")} - {"__init__.py", "urls.py"} - set(SHARED.get(app, {}))
        if app in KNOWN_FLAT:
            assert loose, f"{app}/api has areas now: remove it from KNOWN_FLAT"
            continue
        assert not loose, f"{app}/api: modules outside an area package: {sorted(loose)}"
        assert areas(app), f"{app}/api has no area package"
        for area in areas(app):
            names = {p.name for p in (api / area).glob("*.py")}
            assert {"views.py", "urls.py"} <= names, f"{app}/api/{area}: views.py and urls.py side by side"
            assert names <= AREA_MODULES, f"{app}/api/{area}: unexpected modules {sorted(names - AREA_MODULES)}"


def test_app_urls_include_every_area_once():
    for app in APPS:
        if app in KNOWN_FLAT:
            continue
        text = (ROOT / app / "api" / "urls.py").read_text()
        included = re.findall(rf'include\("{app}\.api\.(\w+)\.urls"\)', text)
        assert sorted(included) == areas(app), f"{app}/api/urls.py includes {included}, areas are {areas(app)}"
        assert "path(" in text and "as_view" not in text, f"{app}/api/urls.py only includes the areas"
