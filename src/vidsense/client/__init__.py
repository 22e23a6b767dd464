"""``vidsense.Client``: the library API from Python, against a server or in-process."""

from __future__ import annotations

from vidsense.client.client import Client, Indexes, ServerUnavailable, Tasks, Videos, api_error

__all__ = ["Client", "Indexes", "ServerUnavailable", "Tasks", "Videos", "api_error"]
