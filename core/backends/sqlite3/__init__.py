"""SQLite with a writer lane: ENGINE "core.backends.sqlite3" (docs/embedded.md)."""
