"""``/media/sign``: signed, expiring URLs for a video's media, so a browser can load them in
``<video src>`` / ``<img src>`` (with range requests) where it cannot send the API key."""

from __future__ import annotations

import re
import time
from typing import Annotated
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from vidsense.errors import InvalidArgument
from vidsense.signing import UrlSigner

router = APIRouter(tags=["media"])

MEDIA_PATH = re.compile(r"^/v1(\.\d+)?/indexes/[^/]+/videos/[^/]+/(stream|thumbnail\.jpg)$")
"""The paths that may be signed: a video's stream and its thumbnails/keyframe images."""
DEFAULT_SECONDS = 6 * 3600
MAX_SECONDS = 24 * 3600


class SignRequest(BaseModel):
    path: str = Field(
        description="an API path such as /v1/indexes/{index_id}/videos/{video_id}/stream "
        "(a query string such as ?time=3.5 is kept)"
    )
    expires_in: Annotated[int, Field(ge=60, le=MAX_SECONDS)] = DEFAULT_SECONDS


class SignedUrl(BaseModel):
    url: str = Field(description="the path with expires and signature added")
    expires_at: int | None = Field(description="unix seconds; null when no key is needed")


@router.post("/media/sign")
async def sign_media(body: SignRequest, request: Request) -> SignedUrl:
    """A URL for a video's stream or thumbnail that opens without a key until it expires."""
    parts = urlsplit(body.path)
    if parts.scheme or parts.netloc or parts.fragment or not MEDIA_PATH.match(parts.path):
        raise InvalidArgument(
            "path must be a video's stream or thumbnail.jpg, "
            "like /v1/indexes/{index_id}/videos/{video_id}/stream",
            param="path",
        )
    signer: UrlSigner | None = getattr(request.app.state, "signer", None)
    if signer is None:
        return SignedUrl(url=body.path, expires_at=None)
    # the server checks the decoded path it receives; sign that one
    expires_at = int(time.time()) + body.expires_in
    signature = signer.signature(unquote(parts.path), expires_at)
    query = "&".join(
        p for p in parts.query.split("&") if p and p.split("=")[0] not in ("expires", "signature")
    )
    url = f"{parts.path}?{query + '&' if query else ''}expires={expires_at}&signature={signature}"
    return SignedUrl(url=url, expires_at=expires_at)
