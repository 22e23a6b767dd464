"""The ``vidsense`` command line: one verb per job, ``--json`` for machines."""

from __future__ import annotations

import logging
import os
import sys

# Each module registers its commands on the shared app when imported.
from vidsense.cli import media  # noqa: F401
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
        app(standalone_mode=False)
    except VidsenseError as e:
        _, code, message = describe(e)
        _fail(message, code, 2 if isinstance(e, InvalidArgument) else 1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # click usage errors and anything unexpected: one line, no traceback
        import click

        if isinstance(e, click.exceptions.Exit):
            sys.exit(e.exit_code)
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        if os.environ.get("VIDSENSE_DEBUG"):
            raise
        _, code, message = describe(e)
        _fail(message, code, 1)


if __name__ == "__main__":
    main()
