"""``/media/sign``: signed, expiring URLs for a video's media, so a browser can load them in
``<video src>`` / ``<img src>`` (with range requests) where it cannot send the API key."""

from __future__ import annotations

from fastapi import APIRouter, Request

from vidsense.api import indexes as api
from vidsense.api.indexes import SignedUrl, SignRequest

router = APIRouter(tags=["media"])


@router.post("/media/sign")
async def sign_media(body: SignRequest, request: Request) -> SignedUrl:
    """A URL for a video's stream or thumbnail that opens without a key until it expires."""
    return api.sign_media(getattr(request.app.state, "signer", None), body)
