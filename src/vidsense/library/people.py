"""Faces grouped into people per index: how a video's faces join them, regrouping, and where
each person appears.

A new video's faces are first grouped among themselves (:func:`cluster_faces`, average linkage
cut at :data:`~vidsense.perception.faces.SAME_PERSON_DISTANCE`); each group's mean then joins
the nearest person the index already knows (:func:`nearest_person`, same threshold) or becomes
a new person. So a face seen later joins its person without everything being clustered again;
:func:`regroup` clusters every face of the index afresh when asked (people keep their ids and
names where most of their faces stay together).

Faces are biometric data: they exist only for indexes created with the ``faces`` option.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from vidsense.perception.faces import SAME_PERSON_DISTANCE, cluster_faces, nearest_person
from vidsense.store import FaceRecord, PersonRecord, new_id

MERGE_GAP = 0.5
"""Face sightings of one person less than this many seconds apart make one time range."""


@dataclass(frozen=True)
class Appearance:
    """Where a person is seen in one video: ``ranges`` of ``(start, end)`` seconds."""

    video_id: str
    ranges: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "ranges": [{"start": round(a, 3), "end": round(b, 3)} for a, b in self.ranges],
        }


@dataclass(frozen=True)
class Person:
    """A person of an index: ``name`` (None until named), how many faces in how many videos,
    and where they appear (videos oldest first, ranges in time order)."""

    id: str
    index_id: str
    name: str | None
    face_count: int
    appearances: tuple[Appearance, ...]
    created_at: str
    updated_at: str

    @property
    def video_count(self) -> int:
        return len(self.appearances)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "index_id": self.index_id,
            "name": self.name,
            "face_count": self.face_count,
            "video_count": self.video_count,
            "appearances": [a.to_dict() for a in self.appearances],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class PersonMatch:
    """A person who may be the one in a picture: ``distance`` between the picture's face and
    the person's mean face (Euclidean; the same person lies below ``SAME_PERSON_DISTANCE``,
    0.55), ``same`` whether it does."""

    person: Person
    distance: float
    same: bool


def join_people(
    faces: Sequence[FaceRecord],
    people: Sequence[PersonRecord],
    *,
    threshold: float = SAME_PERSON_DISTANCE,
) -> list[FaceRecord]:
    """``faces`` (of one new video) with ``person_id`` set: grouped among themselves, each
    group joining the nearest of ``people`` within ``threshold`` or becoming a new person."""
    if not faces:
        return []
    groups = cluster_faces(np.stack([f.embedding for f in faces]), threshold=threshold)
    known = np.stack([p.centroid for p in people]) if people else np.zeros((0, 1))
    chosen: dict[int, str] = {}
    for group in sorted(set(int(g) for g in groups)):
        members = np.stack([f.embedding for f, g in zip(faces, groups, strict=True) if g == group])
        row = (
            nearest_person(members.mean(axis=0), known, threshold=threshold) if len(known) else None
        )
        chosen[group] = people[row].id if row is not None else new_id()
    return [replace(f, person_id=chosen[int(g)]) for f, g in zip(faces, groups, strict=True)]


def regroup(
    faces: Sequence[FaceRecord], *, threshold: float = SAME_PERSON_DISTANCE
) -> dict[str, str]:
    """Every face of an index clustered afresh: face id -> person id. A cluster keeps the id
    of the person most of its faces had (the biggest cluster first, each id once), so names
    survive; other clusters get new ids."""
    if not faces:
        return {}
    groups = cluster_faces(np.stack([f.embedding for f in faces]), threshold=threshold)
    members: dict[int, list[FaceRecord]] = {}
    for f, g in zip(faces, groups, strict=True):
        members.setdefault(int(g), []).append(f)
    taken: set[str] = set()
    assignment: dict[str, str] = {}
    for _, group in sorted(members.items(), key=lambda item: -len(item[1])):
        votes = Counter(f.person_id for f in group if f.person_id is not None)
        person = next((p for p, _ in votes.most_common() if p not in taken), None) or new_id()
        taken.add(person)
        assignment.update({f.id: person for f in group})
    return assignment


def appearances(faces: Sequence[FaceRecord]) -> tuple[Appearance, ...]:
    """One person's faces (as :meth:`Store.faces` orders them: by video, then time) as time
    ranges per video, sightings less than :data:`MERGE_GAP` apart merged."""
    found: dict[str, list[tuple[float, float]]] = {}
    for f in faces:
        found.setdefault(f.video_id, []).append((f.start, f.end))
    result = []
    for video_id, spans in found.items():
        merged: list[tuple[float, float]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1] + MERGE_GAP:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        result.append(Appearance(video_id, tuple(merged)))
    return tuple(result)


def person(record: PersonRecord, faces: Sequence[FaceRecord]) -> Person:
    """A :class:`Person` from its row and its faces."""
    return Person(
        record.id,
        record.index_id,
        record.name,
        record.face_count,
        appearances(faces),
        record.created_at,
        record.updated_at,
    )
