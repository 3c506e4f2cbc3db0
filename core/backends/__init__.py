"""Database backends of the project (ENGINE "core.backends.<name>")."""
