"""Cross-cutting code every app may use (../shared/architecture.md): the transactional outbox of
work queued for Celery on commit (`core.outbox`)."""
