"""People (faces grouped per index, for indexes created with the ``faces`` option) and videos
like a video (from keyframe image embeddings).

::

    GET    /indexes/{index_id}/people                      every person, most faces first
    GET    /indexes/{index_id}/people/{person_id}          one person
    GET    /indexes/{index_id}/people/{person_id}/thumbnail.jpg
    PATCH  /indexes/{index_id}/people/{person_id}          {"name": "Ann"} (null forgets it)
    DELETE /indexes/{index_id}/people/{person_id}          the person and all their faces
    POST   /indexes/{index_id}/people/search               a face picture: who is it?
    POST   /indexes/{index_id}/people/regroup              cluster every face again
    GET    /indexes/{index_id}/videos/{video_id}/similar   near-duplicate videos and shots

Each person carries a ``thumbnail_url`` (starting with the ``base`` the caller gives) and where
they appear: ``appearances[].ranges`` are ``{start, end}`` seconds in each video.
"""

from __future__ import annotations

from pydantic import Field

from vidsense.api.services import Services
from vidsense.api.wire import NOT_BLANK, Form, Upload, Wire, read_body
from vidsense.errors import InvalidArgument
from vidsense.library.people import Person, PersonMatch
from vidsense.search.images import decode_image
from vidsense.search.visual import SimilarVideo

MAX_FACE_IMAGE_BYTES = 20 << 20
"""Largest picture a person search takes, bytes."""

# -- responses -------------------------------------------------------------------------------------


class TimeSpan(Wire):
    start: float
    end: float


class AppearanceOut(Wire):
    """Where a person is seen in one video."""

    video_id: str
    ranges: list[TimeSpan]


class PersonOut(Wire):
    """A person of an index: ``name`` (null until named), ``face_count`` faces seen in
    ``video_count`` videos, ``thumbnail_url`` their best face."""

    id: str = Field(alias="_id")
    index_id: str
    name: str | None = None
    face_count: int
    video_count: int
    thumbnail_url: str
    appearances: list[AppearanceOut]
    created_at: str
    updated_at: str


class People(Wire):
    data: list[PersonOut]


class PersonSearch(Wire):
    """``POST /people/search``: the picture as an uploaded ``file`` (multipart) or its
    ``url``; ``limit`` people, nearest first."""

    url: str | None = Field(default=None, pattern=NOT_BLANK)
    limit: int = Field(default=5, ge=1, le=50)


class PersonUpdate(Wire):
    """``PATCH /people/{person_id}``: the person's name (null forgets it)."""

    name: str | None = Field(max_length=200, pattern=NOT_BLANK)


class PersonMatchOut(Wire):
    """A person who may be the one in the picture: ``distance`` between the faces (the same
    person lies below 0.55), ``same`` whether it does."""

    person: PersonOut
    distance: float
    same: bool


class PersonMatches(Wire):
    data: list[PersonMatchOut]


class ShotPair(Wire):
    """A shot of the asked video and the most alike shot of the other, with their keyframes'
    cosine similarity."""

    start: float
    end: float
    other_start: float
    other_end: float
    similarity: float


class SimilarVideoOut(Wire):
    """Another video of the index: ``score`` 0-100, ``duplicate_ratio`` the share of the asked
    video's shots with a near-duplicate in it, ``near_duplicate`` when most have one."""

    video_id: str
    score: float
    duplicate_ratio: float
    near_duplicate: bool
    shots: list[ShotPair]


class SimilarVideos(Wire):
    data: list[SimilarVideoOut]


def person_out(person: Person, base: str) -> PersonOut:
    return PersonOut(
        _id=person.id,
        index_id=person.index_id,
        name=person.name,
        face_count=person.face_count,
        video_count=person.video_count,
        thumbnail_url=f"{base}/indexes/{person.index_id}/people/{person.id}/thumbnail.jpg",
        appearances=[
            AppearanceOut(
                video_id=a.video_id,
                ranges=[TimeSpan(start=round(s, 3), end=round(e, 3)) for s, e in a.ranges],
            )
            for a in person.appearances
        ],
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


def match_out(match: PersonMatch, base: str) -> PersonMatchOut:
    return PersonMatchOut(
        person=person_out(match.person, base), distance=match.distance, same=match.same
    )


def similar_out(video: SimilarVideo) -> SimilarVideoOut:
    return SimilarVideoOut.model_validate(video.to_dict())


# -- calls -----------------------------------------------------------------------------------------


def list_people(services: Services, index_id: str, base: str) -> People:
    return People(data=[person_out(p, base) for p in services.library.list_people(index_id)])


def get_person(services: Services, index_id: str, person_id: str, base: str) -> PersonOut:
    return person_out(services.library.get_person(index_id, person_id), base)


def person_thumbnail(services: Services, index_id: str, person_id: str) -> bytes:
    """The JPEG of the person's best face."""
    return services.library.person_thumbnail(index_id, person_id)


def rename_person(
    services: Services, index_id: str, person_id: str, body: PersonUpdate, base: str
) -> PersonOut:
    return person_out(services.library.rename_person(index_id, person_id, body.name), base)


def delete_person(services: Services, index_id: str, person_id: str) -> None:
    services.library.delete_person(index_id, person_id)


def regroup_people(services: Services, index_id: str, base: str) -> People:
    return People(data=[person_out(p, base) for p in services.library.regroup_people(index_id)])


def find_person(services: Services, index_id: str, form: Form, base: str) -> PersonMatches:
    """``POST /people/search``: the picture in ``file`` (multipart), or at ``url``; the
    nearest people to its largest face (``limit``, default 5), nearest first."""
    body = read_body(PersonSearch, form)
    upload = form.fields.get("file")
    if isinstance(upload, Upload):
        if len(upload.data) > MAX_FACE_IMAGE_BYTES:
            raise InvalidArgument("file is larger than 20 MiB", param="file")
        data = upload.data
    elif body.url is not None:
        from vidsense.media.source import fetch_url

        data = fetch_url(body.url, services.settings).read_bytes()
    else:
        raise InvalidArgument("send the picture as file (multipart) or as url", param="file")
    found = services.library.find_person(index_id, decode_image(data), limit=body.limit)
    return PersonMatches(data=[match_out(m, base) for m in found])


def similar_videos(services: Services, index_id: str, video_id: str, limit: int) -> SimilarVideos:
    """The videos of the index most like this one, best first."""
    found = services.search.similar_videos(index_id, video_id, limit=limit)
    return SimilarVideos(data=[similar_out(v) for v in found])
