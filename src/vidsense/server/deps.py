"""What routes get from the app: the services, the URLs the API answers under, and the API key
check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from vidsense.api.services import Services
from vidsense.errors import SignatureInvalid, Unauthorized
from vidsense.signing import UrlSigner


async def services(request: Request) -> Services:
    """The :class:`~vidsense.api.services.Services` the app opened at startup."""
    found: Services = request.app.state.services
    return found


Svc = Annotated[Services, Depends(services)]


def api_base(request: Request) -> str:
    """The URL the API answers under (``http://host:port/v1``), for thumbnail links."""
    prefix = "/" + request.url.path.strip("/").split("/")[0]
    return str(request.base_url).rstrip("/") + prefix


def server_base(request: Request) -> str:
    """The server's URL (``http://host:port``), for artifact links."""
    return str(request.base_url).rstrip("/")


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
