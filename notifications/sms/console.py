"""Backends that send nothing: the console backend (the default) and an in-memory outbox."""

from __future__ import annotations

import logging
import sys
import threading
import uuid

from . import SendResult

logger = logging.getLogger("notifications.sms")


class ConsoleBackend:
    """Writes each SMS to stdout (one line) and the log, and pretends it was queued."""

    name = "console"

    def send(self, *, to: str, body: str) -> SendResult:
        sid = f"CONSOLE{uuid.uuid4().hex[:26]}"
        line = f"SMS to {to}: {body}"
        print(line, file=sys.stdout, flush=True)
        logger.info("%s (%s)", line, sid)
        return SendResult(sid=sid, status="sent")


# The outbox of the in-memory backend, like django.core.mail.outbox (tests read it).
outbox: list[dict[str, str]] = []
_outbox_lock = threading.Lock()


class LocmemBackend:
    name = "locmem"

    def send(self, *, to: str, body: str) -> SendResult:
        sid = f"LOCMEM{uuid.uuid4().hex[:26]}"
        with _outbox_lock:
            outbox.append({"to": to, "body": body, "sid": sid})
        return SendResult(sid=sid, status="sent")
