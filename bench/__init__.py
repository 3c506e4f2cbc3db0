"""Delivery benchmark (issue 5): the project's REST -> log -> layer -> socket path against a floor app."""
