"""Docker does not run here: the deployment files are checked structurally."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_five_services_with_healthchecks_and_a_postgres_volume():
    doc = compose()
    services = doc["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "pgdata" in doc["volumes"]
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_app_services_share_one_image_and_build():
    services = compose()["services"]
    builds = {name: services[name]["build"] for name in APP_SERVICES}
    images = {name: services[name]["image"] for name in APP_SERVICES}
    assert len(set(map(str, builds.values()))) == 1 and builds["web"] == "."
    assert len(set(images.values())) == 1
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "command" not in services["web"]  # the image's CMD: migrate, reference data, daphne
    assert any(str(p).endswith(":8000") for p in services["web"]["ports"])


def test_app_environment():
    services = compose()["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        # The key is never in the file: it must come from the environment or .env, or Compose refuses.
        assert re.fullmatch(r"\$\{SECRET_KEY:\?.+\}", env["SECRET_KEY"])
        assert env["COLLECTIVE_REQUIRE_SECRET_KEY"] == "true"
        assert env["DEBUG"] == "false"
        assert "ALLOWED_HOSTS" in env and "localhost" in env["ALLOWED_HOSTS"]
    # The database password is shared by the app's URL and the postgres service.
    assert "${POSTGRES_PASSWORD" in services["web"]["environment"]["DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")


def test_startup_order_uses_health_conditions():
    services = compose()["services"]
    for name in APP_SERVICES:
        deps = services[name]["depends_on"]
        assert deps["postgres"] == {"condition": "service_healthy"}
        assert deps["redis"] == {"condition": "service_healthy"}
    # Worker and beat wait for web, which migrates the database before it reports healthy.
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "pip install -r requirements.lock" in text
    cmd = next(line for line in text.splitlines() if line.startswith("CMD"))
    assert cmd.index("migrate") < cmd.index("load_reference_data") < cmd.index("daphne")
    assert "config.asgi:application" in cmd
    assert re.search(r"^USER (?!root)\w+", text, re.M), "the app must not run as root"


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", ".env"} <= ignored
