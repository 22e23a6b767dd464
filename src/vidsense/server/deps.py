"""What routes get from the app: the library, the executor, and the API key check."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from vidsense.errors import SignatureInvalid, Unauthorized
from vidsense.jobs import Executor
from vidsense.library import Library
from vidsense.signing import UrlSigner


async def library(request: Request) -> Library:
    """The :class:`~vidsense.library.Library` kept on ``app.state``."""
    lib: Library = request.app.state.library
    return lib


S = TypeVar("S")


def kept(request: Request, name: str, owner: Any, make: Callable[[], S]) -> S:
    """The service ``name`` kept on ``app.state``, made on first use (and again when the one
    kept belongs to another library/service than ``owner``, as in tests that swap them)."""
    found: tuple[Any, S] | None = getattr(request.app.state, name, None)
    if found is None or found[0] is not owner:
        found = (owner, make())
        setattr(request.app.state, name, found)
    return found[1]


async def executor(request: Request) -> Executor | None:
    """The running executor, if the app started one."""
    ex: Executor | None = getattr(request.app.state, "executor", None)
    return ex


SIGNED_METHODS = frozenset({"GET", "HEAD"})
"""Methods a signed URL may be used with (reads only)."""


async def require_api_key(request: Request) -> None:
    """When keys are configured, demand one in ``x-api-key`` or ``Authorization: Bearer``; a
    GET or HEAD may instead carry a valid ``expires`` + ``signature`` for its exact path (a
    signed URL, see :mod:`vidsense.signing`), which a forged or expired one fails with 403."""
    keys: frozenset[str] = request.app.state.api_keys
    if not keys:
        return
    given = request.headers.get("x-api-key")
    if given is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip() if scheme.lower() == "bearer" else None
    query = request.query_params
    if not given and request.method in SIGNED_METHODS and "signature" in query:
        signer: UrlSigner | None = getattr(request.app.state, "signer", None)
        if signer is None:
            raise SignatureInvalid("this server does not sign URLs")
        signer.verify(request.url.path, query.get("expires"), query.get("signature"))
        return
    if not given:
        raise Unauthorized(
            "this server needs an API key: send it in the x-api-key header "
            "(or Authorization: Bearer KEY)",
            code="api_key_missing",
        )
    if not any(hmac.compare_digest(given.encode(), key.encode()) for key in keys):
        raise Unauthorized("the API key is not valid")
