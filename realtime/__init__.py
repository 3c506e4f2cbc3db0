"""Realtime delivery. `from realtime.publish import publish` is the one way to emit an event."""
