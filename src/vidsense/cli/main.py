"""The ``vidsense`` command line: one verb per job, ``--json`` for machines."""

from __future__ import annotations

import logging
import os
import sys

# Each module registers its commands on the shared app when imported.
from vidsense.cli import (
    analyze,  # noqa: F401
    audio_events,  # noqa: F401
    library,  # noqa: F401
    media,  # noqa: F401
    models,  # noqa: F401
    ocr,  # noqa: F401
    search,  # noqa: F401
    skills,  # noqa: F401
    speech,  # noqa: F401
    studio,  # noqa: F401
    writing,  # noqa: F401
)
from vidsense.cli.app import app, err
from vidsense.errors import InvalidArgument, VidsenseError, describe


def _fail(message: str, code: str, exit_code: int) -> None:
    """One unwrapped line on stderr, then exit."""
    one_line = " ".join(message.split())
    sys.stderr.write(f"error: {one_line} [{code}]\n")
    sys.exit(exit_code)


def main() -> None:
    """Entry point: runs the CLI and turns every error into one line on stderr."""
    logging.basicConfig(
        level=os.environ.get("VIDSENSE_LOG_LEVEL", "WARNING"),
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        # Standalone mode: usage errors get the usual usage message and exit code 2.
        app()
    except VidsenseError as e:
        _, code, message = describe(e)
        _fail(message, code, 2 if isinstance(e, InvalidArgument) else 1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # anything unexpected: one line, no traceback
        if os.environ.get("VIDSENSE_DEBUG"):
            raise
        _, code, message = describe(e)
        _fail(message, code, 1)


if __name__ == "__main__":
    main()
