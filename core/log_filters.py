"""Logging filters.

`ClientErrorFilter`: Django logs every SuspiciousOperation (a request body over
DATA_UPLOAD_MAX_MEMORY_SIZE, a disallowed Host, too many fields) at ERROR with a full traceback,
under `django.security.<Name>`. Each is the client's doing and is already answered (413/400):
one WARNING line says it, and a real server error stays visible among the ERRORs.
"""

from __future__ import annotations

import logging


class ClientErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security.") and record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True
