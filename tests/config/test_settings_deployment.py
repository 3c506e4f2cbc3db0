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


# --- The two dependency sets: runtime (the image) and development (the venv) -----------------------

DEV_ONLY = {
    "pytest",
    "pytest-django",
    "pytest-asyncio",
    "pytest-timeout",
    "factory-boy",
    "faker",
    "hypothesis",
    "py-spy",
    "ruff",
    "mypy",
    "django-stubs",
    "djangorestframework-stubs",
    "pre-commit",
    "playwright",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: str) -> dict[str, str]:
    """name → version of every `name==version` line (extras dropped, comments ignored)."""
    found = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if m := re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line):
            found[canonical(m[1])] = m[3]
        else:
            assert not line or line.startswith("-r "), f"{path}: not a pin: {line!r}"
    return found


def test_runtime_lock_pins_the_runtime_requirements_and_no_development_tool():
    runtime, lock = pins("requirements.txt"), pins("requirements.lock")
    for name, version in runtime.items():
        assert lock.get(name) == version, f"{name}=={version} is not in requirements.lock"
    assert not DEV_ONLY & set(lock), f"development tools in the runtime lock: {sorted(DEV_ONLY & set(lock))}"
    assert not any(line.startswith("-r") for line in (ROOT / "requirements.lock").read_text().splitlines())


def test_development_lock_is_the_runtime_lock_plus_the_development_set():
    dev_txt = (ROOT / "requirements-dev.txt").read_text().splitlines()
    dev_lock_text = (ROOT / "requirements-dev.lock").read_text().splitlines()
    assert "-r requirements.txt" in dev_txt
    assert "-r requirements.lock" in dev_lock_text
    runtime_lock, dev_lock = pins("requirements.lock"), pins("requirements-dev.lock")
    assert not set(runtime_lock) & set(dev_lock), "a package pinned in both locks"
    for name, version in pins("requirements-dev.txt").items():
        assert (dev_lock.get(name) or runtime_lock.get(name)) == version, f"{name}=={version} is in no lock"
    assert {"pytest", "ruff", "mypy", "django-stubs"} <= set(dev_lock)


def test_the_image_installs_the_runtime_set_and_the_venv_the_development_set():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs == ["RUN pip install -r requirements.lock"], installs
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -r requirements-dev.lock" in makefile
    # The install stamp changes, and the venv is reinstalled, when either lock changes.
    assert re.search(r"^LOCKS\s*:=\s*requirements\.lock requirements-dev\.lock\s*$", makefile, re.M)
    assert re.search(r"^\$\(STAMP\): \$\(LOCKS\)", makefile, re.M)
    assert "cat $(LOCKS) | cksum" in makefile


def test_every_third_party_import_of_the_runtime_code_is_in_the_runtime_lock():
    """What the server, worker and beat import (not tests/, not bench/) must ship in the image."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    dists = packages_distributions()
    runtime = set(pins("requirements.lock"))
    ours = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} | {"manage"}
    missing = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"tests", "bench", ".venv", "var"} or rel.parts[0].startswith("."):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(rel))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in ours or top in sys.stdlib_module_names or top == "__future__":
                    continue
                candidates = {canonical(d) for d in dists.get(top, [top])}
                if not candidates & runtime:
                    missing.setdefault(top, []).append(str(rel))
    assert not missing, f"imported by runtime code but not in requirements.lock: {missing}"
