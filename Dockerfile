# The one image for web (ASGI: HTTP + WebSocket), worker (Celery) and beat (Celery beat).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COLLECTIVE_VAR_DIR=/app/var \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The runtime set only: tests, lint and
# profiling tools are the development set (requirements-dev.lock), not shipped.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Static files (admin, API docs) are collected into the image, in /app/var/static. The throwaway key only lets
# settings load at build time; the real SECRET_KEY comes from the environment at run time.
RUN SECRET_KEY=build-time-only python manage.py collectstatic --noinput \
 && test ! -e /app/var/secret_key \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin collective \
 && mkdir -p /app/var /app/var/metrics \
 && chown -R collective /app/var

USER collective
EXPOSE 8000

# web: migrate, load the reference data (both idempotent), then serve HTTP + WebSocket with
# uvicorn (uvloop + httptools; measured faster, docs/benchmarks.md), or daphne with SERVER=daphne.
# worker and beat override the command (see docker-compose.yml).
ENV SERVER=uvicorn
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py load_reference_data && if [ \"$SERVER\" = daphne ]; then exec daphne -b \"$HOST\" -p \"$PORT\" config.asgi:application; else exec uvicorn config.asgi:application --host \"$HOST\" --port \"$PORT\" --loop uvloop --http httptools --ws-max-size 65536 --no-proxy-headers; fi"]
