"""Token authentication that refuses malformed keys before the database sees them."""

from __future__ import annotations

import re

from rest_framework import authentication, exceptions

# DRF's Token.generate_key: 20 random bytes, hex-encoded.
_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`, except that a key which cannot be a token (wrong
    length, a character outside hex, a NUL byte PostgreSQL would refuse to compare) is a 401
    "Invalid token." at once, on every database, without a query."""

    def authenticate_credentials(self, key):
        if not _TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
