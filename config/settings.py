"""Settings, read from the environment.

With nothing set, the service runs on embedded defaults: SQLite, the in-memory channel layer,
Celery tasks run eagerly, the local-memory cache. `DATABASE_URL` (PostgreSQL) and `REDIS_URL`
switch to the real components: the channels-redis layer, Celery over Redis, and the Redis cache
that holds WebSocket tickets, presence and rate-limit counters where every process sees them.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

from core.redis_options import client_options

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COLLECTIVE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env_bool("COLLECTIVE_REQUIRE_SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment")
    # Embedded default: a random key generated once per checkout and kept out of git, so that
    # `make run` works with no configuration and no key is ever committed.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# CORS for front ends served from other origins (django-cors-headers): off unless origins are named,
# scheme and port included ("https://app.example.com"). Only /api/ and /healthz answer cross-origin;
# the socket's Origin check (realtime/auth.py) accepts the same list. Cookies cross origins only
# with CORS_ALLOW_CREDENTIALS=1 (such a front end also needs to be in CSRF_TRUSTED_ORIGINS to POST).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_ALLOW_CREDENTIALS = env_bool("CORS_ALLOW_CREDENTIALS", False)
CORS_URLS_REGEX = r"^/(api/|healthz$)"
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID"]
CORS_PREFLIGHT_MAX_AGE = 3600

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served from /static/: /api/docs/ needs no CDN
    "channels",
    "core",
    "collective",
    "messaging",
    "payments",
    "onboarding",
    "notifications",
    "realtime",
    "web",
    "insights",  # community health: staff API and admin page (docs/operations.md)
]

MIDDLEWARE = [
    # First: counts every request by route template and status, and times it (core/metrics_view.py).
    "core.metrics_view.MetricsMiddleware",
    # The request id (X-Request-ID, taken or made) on every response and log line; the access log
    # line of each request (core/logs.py). Before anything that may answer on its own.
    "core.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # /static/ under uvicorn/daphne with DEBUG off (admin, browsable API, API docs, web/): WhiteNoise,
    # adapted to ASGI (web/staticfiles.py); STATIC below.
    "web.staticfiles.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CommonMiddleware, so that a preflight is answered before any redirect (django-cors-headers).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# One pooled connection for each request thread, the API's and the reserved lane's of /healthz and
# /metrics (ASGI_REQUEST_THREADS + ADMISSION_RESERVED_THREADS, below): a request never waits for one.
_DB_POOL_DEFAULT = env_int("ASGI_REQUEST_THREADS", 20) + env_int("ADMISSION_RESERVED_THREADS", 2)
if DATABASE_URL:
    # CONN_HEALTH_CHECKS (DB_CONN_HEALTH_CHECKS, on): with the pool, Django passes psycopg_pool's
    # `check_connection` to it, so a pooled connection an outage broke is tested (one empty query)
    # and replaced before it is handed to a request, instead of failing that request's first query.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
            conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # DB_CONNECT_TIMEOUT (s): a PostgreSQL that accepts TCP but never answers (overloaded, a
        # dropped network path) held each new connection for psycopg's default of 130 s. libpq
        # counts whole seconds and takes at least 2.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 2))
    if (
        DATABASES["default"]["ENGINE"].endswith("postgresql")
        and env_int("DB_POOL_MAX_SIZE", _DB_POOL_DEFAULT) > 0
        and not DATABASES["default"]["CONN_MAX_AGE"]
    ):
        # A connection pool (psycopg_pool) per process. Under ASGI every request runs its sync code
        # in a thread of its own, so CONN_MAX_AGE cannot keep a connection across requests: without
        # the pool each request (and each socket handshake) opened a PostgreSQL connection, a
        # server-side process fork and an authentication. DB_POOL_MAX_SIZE=0 turns it off.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2),
            "max_size": env_int("DB_POOL_MAX_SIZE", _DB_POOL_DEFAULT),
            # DB_POOL_TIMEOUT (s): how long a request waits for a connection. It is the time an
            # outage takes to answer 503 (core/errors.py): with PostgreSQL down the pool is
            # empty and every request waited the whole 10 s it used to be. Request threads never
            # outnumber the pool (ASGI_REQUEST_THREADS), so a healthy server does not wait here.
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT") or 1.0),
            # DB_POOL_RECONNECT_TIMEOUT (s): the pool retries a failed connection in the background
            # with a doubling delay (1, 2, 4 s ...) until this long has passed, then gives up and the
            # next request starts over at once. The default of 300 s let the delay grow to ~2 min,
            # so after a long outage the pool stayed empty that long after PostgreSQL was back.
            "reconnect_timeout": float(os.environ.get("DB_POOL_RECONNECT_TIMEOUT") or 5.0),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's SQLite backend with a writer lane: this process's writers queue in turn
            # (FIFO) before BEGIN instead of sleeping in SQLite's busy handler (docs/embedded.md).
            "ENGINE": "core.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            # SQLITE_CONN_MAX_AGE (s): each request thread keeps its SQLite connection. Opening one
            # (and its PRAGMAs) and closing it took 46 % of the embedded send path's samples
            # (docs/embedded.md); the threads are reused and bounded (config/asgi.py), so are these.
            "CONN_MAX_AGE": env_int("SQLITE_CONN_MAX_AGE", 600),
            "OPTIONS": {
                # WAL + IMMEDIATE transactions + a busy timeout: the ASGI server writes from
                # several threads, and SQLite must queue them rather than fail with "locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                # SQLITE_BUSY_TIMEOUT (s): how long a writer waits for the write lock before
                # "database is locked" (answered 503 retry_later). Write transactions are kept short
                # (no password hashing or provider calls inside them: docs/deployment.md).
                # Now the backstop for writers of other processes (manage.py, a second server).
                "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
                # SQLITE_WRITER_LANE_TIMEOUT (s): how long a writer of this process waits for its
                # turn in the lane before "database is locked" (503 retry_later, Retry-After).
                "writer_lane_timeout": float(os.environ.get("SQLITE_WRITER_LANE_TIMEOUT") or 2.0),
                "writer_lane": env_bool("SQLITE_WRITER_LANE", True),  # off: Django's stock behaviour
            },
        }
    }
if os.environ.get("TEST_DATABASE_NAME") and not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Tests use a database of their own on the shared server (SQLite tests stay in memory).
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TEST_DATABASE_NAME"]
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# HTTP requests under ASGI run their sync code (middlewares + view) on threads reused from a
# bounded pool per process (config/asgi.py): at most this many at once, others wait for a free
# thread. With the reserved lane's threads, not above DB_POOL_MAX_SIZE (by default their sum), so a
# request never waits for a pooled connection.
ASGI_REQUEST_THREADS = env_int("ASGI_REQUEST_THREADS", 20)
# Admission control (core/admission.py; docs/operations.md, "Admission control"): past
# saturation a request waits at most ADMISSION_QUEUE_TIMEOUT seconds for a thread, at most
# ADMISSION_MAX_QUEUE wait at once; the others are answered at once 503 retry_later with
# Retry-After: ADMISSION_RETRY_AFTER (s), before anything runs. /healthz and /metrics have
# ADMISSION_RESERVED_THREADS threads of their own, so they answer during an overload.
ADMISSION_QUEUE_TIMEOUT = float(os.environ.get("ADMISSION_QUEUE_TIMEOUT") or 0.5)
ADMISSION_MAX_QUEUE = env_int("ADMISSION_MAX_QUEUE", 2 * ASGI_REQUEST_THREADS)
ADMISSION_RETRY_AFTER = env_int("ADMISSION_RETRY_AFTER", 1)
ADMISSION_RESERVED_THREADS = env_int("ADMISSION_RESERVED_THREADS", 2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "collective.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves /static/ from the apps' static directories (the finders) as well as from a
# `collectstatic` into STATIC_ROOT, so `make run` needs no collectstatic step; files are indexed once
# at start-up (no autorefresh unless DEBUG) and cached for WhiteNoise's default 60 s (names are not
# hashed). Nothing is loaded from a CDN (contract §5).
WHITENOISE_USE_FINDERS = True
# /web/test-harness/: the page the browser tests load the realtime client into (tests/web/). Off
# unless WEB_TEST_HARNESS is set.
WEB_TEST_HARNESS = env_bool("WEB_TEST_HARNESS", False)

# --- Redis: channel layer, cache, Celery ----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Per process and pool (channel layer, presence); Redis's own limit (maxclients) is 10,000.
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 1000)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis with its blocking pop under the Redis socket timeout (realtime/layer.py).
            "BACKEND": "realtime.layer.RedisLayer",
            "CONFIG": {
                # redis-py 8 caps an asyncio pool at 100 connections and then fails the command
                # ("Too many connections"): a storm of 1,000 handshakes got HTTP 500s.
                # CHANNEL_LAYER_URLS (comma-separated): the layer sharded over several Redis servers,
                # channels_redis hashing group and channel names over them (docs/scaling.md). Every
                # process must list the same URLs in the same order: the order is the hash ring.
                "hosts": [
                    {"address": url, "max_connections": REDIS_MAX_CONNECTIONS}
                    for url in env_list("CHANNEL_LAYER_URLS", REDIS_URL) or [REDIS_URL]
                ],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "collective"),
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1000),
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "collective"),
            # One pool per process, not one per request thread (see core/redis_pool.py).
            # Timeouts and the retry of a connection a Redis restart broke: core/redis_options.py.
            "OPTIONS": {"pool_class": "core.redis_pool.SharedConnectionPool", **client_options(asyncio=False)},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    # MAX_ENTRIES: the default (300) culled a third of the cache when exceeded, so more than 300
    # socket tickets or send-rate counters alive at once lost some (1,000 reconnecting sockets got
    # 4401 for 700 of them in the delivery benchmark).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "collective",
            "OPTIONS": {"MAX_ENTRIES": env_int("LOCMEM_CACHE_MAX_ENTRIES", 100_000)},
        }
    }

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not (REDIS_URL or os.environ.get("CELERY_BROKER_URL")))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
if CELERY_BROKER_URL.split("://", 1)[0] in ("redis", "rediss"):
    # kombu's Redis transport with the crash on connection loss worked around (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
# A worker never gives up on the broker: it reconnects for as long as the outage lasts (the default,
# 100 attempts, stops the worker after ~50 min), at startup too (the worker may start first).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Publishing from a request must fail fast when the broker is away: the outbox (core/outbox.py)
# keeps the work and the worker side publishes it later. Connect timeout in seconds.
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECTION_TIMEOUT", "1"))
# max_retries 0: a publisher's connect is tried once (kombu's default waits 2 s and tries again).
# The worker's own reconnect loop is not affected (it passes its own limit: forever, see above).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT, "max_retries": 0}
# A task running when the connection drops finishes (an SMS mid-call must not be killed and left
# "sending"); its message may run again, which the tasks' idempotency and the outbox make harmless.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Work queued on commit goes through the transactional outbox (core/outbox.py): the beat task
# below re-publishes what the broker never got or lost. Seconds.
OUTBOX = {
    "FLUSH_SECONDS": float(os.environ.get("OUTBOX_FLUSH_SECONDS", "30")),
    # A row the broker never got is flushed once it is this old (the on-commit publish had its chance).
    "GRACE_SECONDS": float(os.environ.get("OUTBOX_GRACE_SECONDS", "30")),
    # A published row whose task has not finished after this long is published again (lost in the
    # broker); longer than the longest retry backoff (SMS: 600 s) so a pending retry is not doubled.
    "REDELIVER_SECONDS": float(os.environ.get("OUTBOX_REDELIVER_SECONDS", "900")),
    "MAX_ATTEMPTS": env_int("OUTBOX_MAX_ATTEMPTS", 20),
    "MAX_AGE_SECONDS": float(os.environ.get("OUTBOX_MAX_AGE_SECONDS", "86400")),
    "BATCH": env_int("OUTBOX_BATCH", 500),
}
CELERY_BEAT_SCHEDULE: dict = {
    "realtime-events-prune": {"task": "realtime.tasks.events_prune", "schedule": 3600.0},
    "realtime-presence-sweep": {"task": "realtime.tasks.presence_sweep", "schedule": 30.0},
    # SMS held for quiet hours are also re-queued by this sweep (a worker restart loses ETA tasks).
    "messaging-sms-release-held": {"task": "messaging.tasks.sms_release_held", "schedule": 60.0},
    # SMS left "sending" by a worker that died mid-call are marked "unknown" (never resent).
    "messaging-sms-expire-stuck": {"task": "messaging.tasks.sms_expire_stuck", "schedule": 300.0},
    # Reputation decays for inactivity (docs/economy.md); daily is fine-grained enough.
    "collective-reputation-decay": {"task": "collective.tasks.reputation_decay", "schedule": 86400.0},
    # The transactional outbox: work a broker outage kept from the broker, or the broker lost.
    "core-outbox-flush": {"task": "core.tasks.outbox_flush", "schedule": OUTBOX["FLUSH_SECONDS"]},
}

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",  # declares every error status (core/schema.py)
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("THROTTLE_LOGIN", "10/min"),
        "register": os.environ.get("THROTTLE_REGISTER", "20/hour"),
        "realtime_ticket": os.environ.get("THROTTLE_REALTIME_TICKET", "30/min"),
        # Failed logins per account from any address (core/ratelimit.py), API and admin alike.
        "login_account": os.environ.get("THROTTLE_LOGIN_ACCOUNT", "20/hour"),
        # Offers and asks created per account (collective/api/offers.py).
        "create": os.environ.get("THROTTLE_CREATE", "30/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles count REMOTE_ADDR only: the client address core/proxy.py resolved. Unset, DRF
    # would take X-Forwarded-For from any client.
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Collective API",
    "DESCRIPTION": "Real-time backend of the Ask & Offer AI Collective.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, not a CDN (contract §5).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # core/schema.py: read-only properties carry no default; then drf-spectacular's enum naming.
    "POSTPROCESSING_HOOKS": ["core.schema.postprocess", "drf_spectacular.hooks.postprocess_schema_enums"],
    # Several models have a `status` with its own choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "OfferStatusEnum": "collective.models.offers.OfferStatus",
        "AskStatusEnum": "collective.models.offers.AskStatus",
        "ConnectionStatusEnum": "collective.models.connections.ConnectionStatus",
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if env_bool("SECURE_COOKIES", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Proxy headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from these addresses or
# networks, comma-separated; default none (core/proxy.py). That is also how HTTPS behind a
# TLS-terminating proxy is known: no SECURE_PROXY_SSL_HEADER, which would believe anyone.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
from core.proxy import parse_networks  # noqa: E402

TRUSTED_PROXY_NETWORKS = parse_networks(TRUSTED_PROXIES)

# --- Product settings ------------------------------------------------------------------------
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- Payments (docs/payments.md; contract §7) ----------------------------------------------------
# Without STRIPE_SECRET_KEY every payment endpoint answers 503 payments_not_configured; free flows
# are untouched. STRIPE_API_BASE points the official library elsewhere (tests: a local fake).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
PAYMENT_BACKEND = os.environ.get("PAYMENT_BACKEND", "")  # dotted path; empty: Stripe when its key is set
PAYMENTS = {
    # The platform's fee on a sale between members: percent of the amount plus a fixed part (cents).
    "PLATFORM_FEE_PERCENT": env_int("PAYMENTS_PLATFORM_FEE_PERCENT", 10),
    "PLATFORM_FEE_FIXED_CENTS": env_int("PAYMENTS_PLATFORM_FEE_FIXED_CENTS", 0),
    # A checkout session stays payable this long (Stripe accepts 30 minutes to 24 hours).
    "CHECKOUT_EXPIRES_MINUTES": env_int("PAYMENTS_CHECKOUT_EXPIRES_MINUTES", 60),
    # Every call to the provider: a connect+read timeout, and the library's own retries (which
    # reuse the idempotency key, so a retried create never charges twice).
    "TIMEOUT_SECONDS": env_int("PAYMENTS_TIMEOUT_SECONDS", 10),
    "MAX_NETWORK_RETRIES": env_int("PAYMENTS_MAX_NETWORK_RETRIES", 2),
}

# --- Matching asks with offers (docs/matching.md) -------------------------------------------------
# The scorer's weights (each feature is in [0, 1]; the score is their weighted mean) and limits;
# every key can be set from the environment (MATCHING_WEIGHT_TEXT=5, MATCHING_MIN_SCORE=0.25, ...).
MATCHING: dict[str, Any] = {
    "WEIGHTS": {
        name: float(os.environ.get(f"MATCHING_WEIGHT_{name.upper()}", default))
        for name, default in (
            ("type", 3.0),
            ("category", 1.5),
            ("tags", 1.5),
            ("tools", 1.0),
            ("text", 4.0),
            ("reputation", 0.5),
            ("activity", 0.5),
        )
    },
    "MIN_SCORE": float(os.environ.get("MATCHING_MIN_SCORE", "0.2")),
    "CANDIDATES": env_int("MATCHING_CANDIDATES", 200),  # pre-filtered in SQL per scoring run
    "DEFAULT_LIMIT": env_int("MATCHING_DEFAULT_LIMIT", 10),
    "MAX_LIMIT": env_int("MATCHING_MAX_LIMIT", 20),
    "HOME_LIMIT": env_int("MATCHING_HOME_LIMIT", 5),
    "NOTIFY_TOP": env_int("MATCHING_NOTIFY_TOP", 3),  # a new ask/offer tells the owners of its best N
    "DAILY_NOTIFICATIONS": env_int("MATCHING_DAILY_NOTIFICATIONS", 3),  # per person per 24 hours
}

# --- Notifications and SMS (docs/notifications.md) ----------------------------------------------
# The Twilio backend is used when an account, a token and a sender are set; otherwise the console
# backend logs each SMS it would send. TWILIO_API_BASE_URL points the client elsewhere (tests: a fake).
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "")  # dotted path; empty: chosen from the Twilio settings
NOTIFICATIONS = {
    "SMS_DELAY_SECONDS": env_int("NOTIFICATIONS_SMS_DELAY_SECONDS", 30),
    "SMS_DAILY_LIMIT": env_int("NOTIFICATIONS_SMS_DAILY_LIMIT", 5),
    "SMS_RETRY_BACKOFF_SECONDS": env_int("NOTIFICATIONS_SMS_RETRY_BACKOFF_SECONDS", 30),
}
REALTIME: dict[str, Any] = {
    "TICKET_TTL": env_int("REALTIME_TICKET_TTL", 60),
    "EVENT_RETENTION": timedelta(hours=env_int("REALTIME_EVENT_RETENTION_HOURS", 48)),
    "HEARTBEAT_SECONDS": env_int("REALTIME_HEARTBEAT_SECONDS", 25),
    "MAX_FRAME_BYTES": 64 * 1024,
    # A socket's presence entry lives this long unless a heartbeat refreshes it, so a killed
    # process leaves nobody online for longer than this.
    "PRESENCE_TTL": env_int("REALTIME_PRESENCE_TTL", 60),
    # Open sockets per user, on all processes together; one more is closed with 4409.
    "MAX_SOCKETS_PER_USER": env_int("REALTIME_MAX_SOCKETS_PER_USER", 20),
}

# Structured logs (core/logs.py, docs/operations.md "Logs"): one JSON object per line in production,
# key=value text for a terminal with DEBUG on (`make dev`); LOG_FORMAT=json|console chooses.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("console" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "core.logs.formatter", "format": LOG_FORMAT}},
    "filters": {"client_errors": {"()": "core.log_filters.ClientErrorFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["client_errors"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
# The worker logs through the handler above too (with the task's request id), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error tracking (core/sentry.py, docs/operations.md "Error tracking"): only with SENTRY_DSN set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from core.sentry import init as _sentry_init

    _sentry_init(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT"),
        release=os.environ.get("SENTRY_RELEASE"),
        traces=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
    )
