"""``vidsense.Client``: the library API from Python, against a server or in-process.

::

    client.py      Client: the facade (indexes, videos, tasks, search, classify, writing)
    resources/     Indexes, Videos, Tasks, Search, Writing: requests built and validated
    _transport.py  Transport: one method per API operation
    _http.py       HttpTransport: over httpx to a server; error answers -> vidsense.errors
    _local.py      LocalTransport: the same vidsense.api calls, in this process
"""

from __future__ import annotations

from vidsense.client.client import Client
from vidsense.client.resources import Indexes, Tasks, Videos
from vidsense.errors import ServerUnavailable

__all__ = ["Client", "Indexes", "ServerUnavailable", "Tasks", "Videos"]
