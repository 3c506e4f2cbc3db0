"""The idiomatic reference app of issue 17: what a Django developer writes instead of the project.

Written the way the Channels tutorial and the DRF quickstart teach, with no tuning: DRF token auth,
a `Message` model, a generic create view, a `post_save` signal doing `group_send`, a consumer that
authenticates a `?token=` query parameter. No event log, no resume, no limits, no idempotency.
The benchmark measures the project against it (and against the floor) in the same run.
"""
