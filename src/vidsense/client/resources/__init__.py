"""The client's resources, each over a :class:`~vidsense.client._transport.Transport`."""

from __future__ import annotations

from vidsense.client.resources.executions import ExecutionProgress, Executions
from vidsense.client.resources.indexes import Indexes
from vidsense.client.resources.renders import GeneratedVideos, Renders
from vidsense.client.resources.search import Classes, Search
from vidsense.client.resources.skills import Skills
from vidsense.client.resources.tasks import TaskProgress, Tasks
from vidsense.client.resources.videos import Videos
from vidsense.client.resources.writing import Writing

__all__ = [
    "Classes",
    "ExecutionProgress",
    "Executions",
    "GeneratedVideos",
    "Indexes",
    "Renders",
    "Search",
    "Skills",
    "TaskProgress",
    "Tasks",
    "Videos",
    "Writing",
]
