"""``vidsense.Client``: the library API from Python, against a server or in-process."""

from __future__ import annotations

from vidsense.client.client import Client, Indexes, Tasks, Videos, api_error
from vidsense.errors import ServerUnavailable

__all__ = ["Client", "Indexes", "ServerUnavailable", "Tasks", "Videos", "api_error"]
