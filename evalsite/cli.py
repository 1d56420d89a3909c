"""Shared pieces of the owners' management commands: service errors as the web shows them, input files.

The commands call the same services as the pages and the API, so they refuse the same things with the
same messages; this module only turns an `ApplicationError` into a `CommandError` (exit status 1) whose
text lists every problem the way the web's error table does: line, field, message, code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from evalsite.errors import ApplicationError

MAX_LISTED = 200  # problems listed in full; the rest are counted


def problem_lines(extra: dict[str, Any]) -> list[str]:
    """One line per problem in a service error's `extra`: import errors (`errors`, each with line and field)
    and settings errors (`fields`: field -> messages)."""
    lines = []
    for error in extra.get("errors") or []:
        where = f"line {error['line']}" if error.get("line") is not None else "file"
        if error.get("field"):
            where += f", field {error['field']}"
        lines.append(f"  {where}: {error.get('message', '')} [{error.get('code', '')}]")
    for field, messages in (extra.get("fields") or {}).items():
        for message in messages:
            lines.append(f"  {field}: {message}")
    if len(lines) > MAX_LISTED:
        lines = [*lines[:MAX_LISTED], f"  … and {len(lines) - MAX_LISTED} more"]
    return lines


def command_error(exc: ApplicationError) -> CommandError:
    """The service's error as a command failure: its message, then every problem on its own line."""
    text = "\n".join([exc.message, *problem_lines(exc.extra)])
    if exc.extra.get("truncated"):
        text += "\n  (the check stopped after the error limit, EVALSITE_IMPORT_MAX_ERRORS)"
    return CommandError(text)


def read_input(path: str, *, what: str) -> bytes:
    """The bytes of an input file, or a clear CommandError naming it (missing, a folder, unreadable)."""
    file = Path(path)
    if not file.exists():
        raise CommandError(f"The {what} {path!r} does not exist.")
    if not file.is_file():
        raise CommandError(f"The {what} {path!r} is not a file.")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read the {what} {path!r}: {exc.strerror}.") from None
