"""Submit-and-wait: the one loop that polls something (an indexing task, several tasks at once,
anything with an end state) until it has ended, reporting progress on the way, with a time
limit.

Used by :meth:`vidsense.Client.tasks.wait <vidsense.client.resources.tasks.Tasks.wait>`, the
CLI's ``vidsense add`` and the chat's indexing of a video sent in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from vidsense.errors import VidsenseError

T = TypeVar("T")

TASK_ENDED: tuple[str, ...] = ("ready", "failed")
"""The statuses an indexing task ends in."""


def wait_for(
    poll: Callable[[], T],
    ended: Callable[[T], bool],
    *,
    progress: Callable[[T], None] | None = None,
    timeout: float | None = None,
    interval: float = 0.5,
    timed_out: Callable[[T], VidsenseError] | None = None,
) -> T:
    """Call ``poll`` every ``interval`` seconds until ``ended`` says its value has ended, and
    return that value. ``progress`` sees every value polled (before ``ended`` is asked, so it
    may also keep its own account). After ``timeout`` seconds (None: no limit) the last value
    is turned into the error raised by ``timed_out`` (default: ``VidsenseError`` with code
    ``timeout``)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        value = poll()
        if progress is not None:
            progress(value)
        if ended(value):
            return value
        if deadline is not None and time.monotonic() > deadline:
            if timed_out is not None:
                raise timed_out(value)
            raise VidsenseError(f"still not done after {timeout} s", code="timeout")
        time.sleep(interval)
