"""Hostile-input checks for JSON and text that will reach PostgreSQL (no Django).

PostgreSQL refuses three things that Python and JSON accept: a NUL character in
`text` or `jsonb` (psycopg2 raises ValueError before sending, or the server answers
"unsupported Unicode escape sequence"), a lone UTF-16 surrogate (it cannot be
encoded as UTF-8) and a non-finite number in `jsonb` (NaN, Infinity, `1e400`, which
Python reads as inf). Python itself fails on JSON nested a few thousand levels deep
(RecursionError in `json.loads` and `json.dumps`). The functions here find each of
these before anything is written, without recursion, so the caller can report it
with its line and field.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting of lists/objects accepted in a JSON value (imports, feedback, judgments)."""

_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")


class JsonRejected(ValueError):
    """Why a JSON text or value was refused. `code` is the import error code, `message` says where."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _no_constant(name: str) -> Any:
    # NaN / Infinity are not JSON at all (RFC 8259), unlike 1e400, which is JSON that overflows.
    raise JsonRejected("bad_json", f"{name} is not JSON (not a number JSON allows)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRejected("bad_number", f"the number {text[:40]} is too large (it would be infinite)")
    return value


def loads(text: str | bytes) -> Any:
    """Parse JSON strictly.

    Input: a JSON text. Output: the Python value. Raises `JsonRejected` with code
    `bad_number` (a float that overflows to infinity such as 1e400), `too_deep` (nesting past the interpreter's recursion limit) or `bad_json`
    (anything else `json.loads` refuses, including NaN and Infinity, which RFC 8259 does not
    allow, and integers over Python's 4300-digit limit). Values nested less deeply than the recursion limit still need `value_problem`
    for the MAX_DEPTH limit and for NUL / surrogate characters.
    """
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except JsonRejected:
        raise
    except RecursionError as exc:
        raise JsonRejected("too_deep", f"JSON is nested more than {MAX_DEPTH} levels deep") from exc
    except json.JSONDecodeError as exc:
        raise JsonRejected("bad_json", f"{exc.msg} (column {exc.colno})") from exc
    except ValueError as exc:
        raise JsonRejected("bad_json", str(exc)) from exc


def text_problem(text: str) -> str | None:
    """None when `text` can be stored in PostgreSQL, else what is wrong and where (1-based character)."""
    match = _BAD_CHAR.search(text)
    if match is None:
        return None
    char = match.group(0)
    what = "a NUL character (\\u0000)" if char == "\x00" else f"a lone surrogate (\\u{ord(char):04x})"
    return f"contains {what} at character {match.start() + 1}"


def value_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """First reason `value` (a parsed JSON value) cannot be stored, or None.

    Returns `(code, message)` with code `bad_character` (NUL or lone surrogate in a string or
    an object key), `bad_number` (a non-finite float) or `too_deep` (lists/objects nested more
    than `max_depth` levels). Iterative: any depth is safe to check. The message names the
    JSON path of the problem (e.g. `[3].content`).
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return "bad_character", f"{path or 'the value'} {problem}"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "bad_number", f"{path or 'the value'} is not a finite number"
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                return "too_deep", f"{path or 'the value'} is nested more than {max_depth} levels deep"
            if isinstance(item, dict):
                for key, child in item.items():
                    key_text = str(key)
                    problem = text_problem(key_text)
                    if problem:
                        return "bad_character", f"a key in {path or 'the object'} {problem}"
                    stack.append((child, f"{path}.{key_text}" if path else key_text, depth + 1))
            else:
                stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item))
    return None


def printable(text: str) -> str:
    """`text` with NUL and lone surrogates written as escapes, safe to echo back in JSON or store."""
    return _BAD_CHAR.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
