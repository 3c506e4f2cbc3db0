from __future__ import annotations

# The participants and thread fixtures are the messaging tests' (tests/messaging/conftest.py):
# notifications are about their threads.
from tests.messaging.conftest import (  # noqa: F401
    _fast_password_hashing,
    alice,
    alice_client,
    bob,
    bob_client,
    thread,
)
