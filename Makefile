# Two commands (contract §1): `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# uvicorn (uvloop + httptools) by default: it measured faster than daphne (docs/benchmarks.md).
SERVER ?= uvicorn
# Absolute links in SMS texts point at where `make run` serves, unless SITE_URL says otherwise.
SITE_URL ?= http://$(HOST):$(PORT)
export SITE_URL
# The venv gets the development set (requirements-dev.lock: the runtime lock plus tests, lint and
# profiling); the image installs the runtime lock only (Dockerfile). A change to either lock reinstalls.
LOCKS  := requirements.lock requirements-dev.lock
STAMP  := $(VENV)/.installed-$(shell cat $(LOCKS) | cksum | cut -d' ' -f1)

.PHONY: run dev test lint install migrate reference-data demo worker beat bench bench-render check-compose stripe-fake

$(STAMP): $(LOCKS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

reference-data: migrate
	$(BIN)/python manage.py load_reference_data

## make demo: migrations, reference data and a small demo community (onboarding/management/commands/
## load_demo_data.py; idempotent; refuses a non-SQLite database with DEBUG off); then `make run`
demo: reference-data
	$(BIN)/python manage.py load_demo_data
	@echo "Now \`make run\` (or \`make dev\`) and open http://$(HOST):$(PORT)/ — log in as maya / ask-and-offer-demo"

## make run: set up everything from a fresh clone and serve HTTP + WebSocket on $(HOST):$(PORT)
run: reference-data
	@echo "Serving on http://$(HOST):$(PORT)/ (API docs: /api/docs/, WebSocket: /ws/) with $(SERVER)"
ifeq ($(SERVER),uvicorn)
	exec $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --loop uvloop --http httptools --no-access-log --ws-max-size 65536 --no-proxy-headers
else
	exec $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application
endif

## make dev: `make run` for development: auto-reload on a change to a .py file (uvicorn --reload,
## watchfiles), DEBUG on, human-readable logs (LOG_FORMAT=console)
DEV_RELOAD_DIRS ?= config core collective messaging notifications realtime payments onboarding web
dev: reference-data
	@echo "Serving on http://$(HOST):$(PORT)/ with auto-reload (DEBUG on, console logs)"
	DEBUG=true LOG_FORMAT=console exec $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) \
		--reload $(foreach d,$(DEV_RELOAD_DIRS),--reload-dir $(d)) --reload-include '*.html' \
		--ws-max-size 65536 --no-proxy-headers

# pytest-xdist workers of each pass of `make test` (`-n`; 0 = serial): each worker has its own test
# database, Redis index and ports (tests/xdist_isolation.py); a test module stays on one worker
# (--dist loadfile: module-scoped servers and browsers start once).
TEST_WORKERS ?= 2
XDIST := $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

## make test: the whole suite on embedded defaults, then against PostgreSQL + Redis when
## DATABASE_URL and REDIS_URL are set (integration tests skip, saying why, when they are not).
test: install
	@echo "== 1/2: embedded defaults (SQLite, in-memory channel layer, eager Celery) =="
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(BIN)/python -m pytest -m "not integration" $(XDIST) $(PYTEST_ARGS) || [ $$? -eq 5 ]
	@if [ -n "$$DATABASE_URL" ] || [ -n "$$REDIS_URL" ]; then \
	  echo "== 2/2: PostgreSQL ($${DATABASE_URL:-unset}) + Redis ($${REDIS_URL:-unset}): whole suite =="; \
	  TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-test_collective} $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS); \
	else \
	  echo "== 2/2: integration tests: DATABASE_URL / REDIS_URL unset, so they report as skipped =="; \
	  $(BIN)/python -m pytest -m integration $(XDIST) $(PYTEST_ARGS) || [ $$? -eq 5 ]; \
	fi

## make lint: ruff (lint and format check) over the whole tree, mypy (django-stubs, drf-stubs) over
## the project's packages and the benchmark; what each looks at is in pyproject.toml (tests/ not typed).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

worker: install
	$(BIN)/celery -A config worker -l info

beat: install
	$(BIN)/celery -A config beat -l info

## make stripe-fake: the tests' local Stripe fake (localstripe + Connect + Checkout) on port 8420,
## delivering signed webhooks to `make run`; then run the server with
## STRIPE_SECRET_KEY=sk_test_local STRIPE_WEBHOOK_SECRET=whsec_local STRIPE_API_BASE=http://127.0.0.1:8420
## (docs/payments.md, "Against the local fake").
STRIPE_FAKE_PORT ?= 8420
stripe-fake: install
	exec $(BIN)/python -m tests.fakes.stripe_server --port $(STRIPE_FAKE_PORT) --webhook-secret whsec_local \
		--webhook-url http://$(HOST):$(PORT)/api/v1/payments/stripe/webhook/

bench: install
	$(BIN)/python -m bench

## make bench-render: time rendering user text, worst and typical inputs (docs/benchmarks.md); ~10 s
bench-render: install
	$(BIN)/python -m bench.render $(BENCH_ARGS)

check-compose:
	$(BIN)/python -c "import yaml,sys; d=yaml.safe_load(open('docker-compose.yml')); print(sorted(d['services']))"
