"""Signed, expiring URLs: how a browser opens a key-guarded URL where it cannot send a header
(``<video src>``, ``<img src>``, a link in a chat reply).

A signed URL carries ``?expires=<unix seconds>&signature=<hex HMAC-SHA256 of "PATH\\nEXPIRES"
keyed with the first API key>``. The signature covers the path only, so other query parameters
(a thumbnail's ``time``) may ride along; it opens that one path until it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from vidsense.errors import SignatureInvalid


def signing_key(api_key: str | None) -> str | None:
    """The key URLs are signed with: the first of the configured (comma-separated) keys."""
    keys = [k.strip() for k in (api_key or "").split(",") if k.strip()]
    return keys[0] if keys else None


class UrlSigner:
    """Signs URL paths with one key and checks such signatures."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("a signing key is required")
        self._key = key.encode()

    def signature(self, path: str, expires: int) -> str:
        """The hex signature of ``path`` valid until ``expires`` (unix seconds)."""
        return hmac.new(self._key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, seconds: int) -> str:
        """The query string (``expires=..&signature=..``) that opens ``path`` for ``seconds``."""
        expires = int(time.time()) + seconds
        return f"expires={expires}&signature={self.signature(path, expires)}"

    def verify(self, path: str, expires: str | None, signature: str | None) -> None:
        """Raise :class:`SignatureInvalid` unless ``signature`` signs ``path`` until a future
        ``expires``."""
        if not expires or not signature:
            raise SignatureInvalid("the URL is not signed: it needs expires and signature")
        try:
            when = int(expires)
        except ValueError:
            raise SignatureInvalid("the URL's expires is not a number") from None
        if not hmac.compare_digest(self.signature(path, when).encode(), signature.encode()):
            raise SignatureInvalid("the URL's signature is not valid")
        if when < time.time():
            raise SignatureInvalid("the signed URL has expired; ask for a new one")


def signer(api_key: str | None) -> UrlSigner | None:
    """A signer keyed with the first of ``api_key``'s keys; None when there are none."""
    key = signing_key(api_key)
    return UrlSigner(key) if key else None
