"""Size limits on what users write, in one place (docs/security.md lists them all).

Text fields carry `max_length` (the serializers derive their 400s from it, naming the field);
JSON fields carry `JSONSizeValidator`: a 2 MB `content` document was accepted, and three of them
made an anonymous discovery page answer 7.5 MB."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from core.errors import CoreCode

OFFER_DESCRIPTION_MAX = 5_000
OFFER_BODY_MAX = 20_000
ASK_DESCRIPTION_MAX = 5_000
OFFER_CONTENT_MAX_BYTES = 20_000
OFFER_SOURCE_METADATA_MAX_BYTES = 10_000


@deconstructible
class JSONSizeValidator:
    """At most `max_bytes` of compact UTF-8 JSON."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def __call__(self, value: Any) -> None:
        try:
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        except (TypeError, ValueError, RecursionError):
            raise ValidationError("Not a JSON document this service can store.", code=CoreCode.INVALID) from None
        if size > self.max_bytes:
            raise ValidationError(
                f"At most {self.max_bytes:,} bytes of JSON (this is {size:,}).", code=CoreCode.TOO_LARGE
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JSONSizeValidator) and other.max_bytes == self.max_bytes
