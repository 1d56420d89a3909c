"""A progress bar for management commands, on stderr (stdout stays for data: `export_study --out -`).

Drawn only when stderr is a terminal, or when the command is run with `--progress`; then, on a terminal,
one line redrawn in place (`\\r`), and elsewhere (a log file, CI) a plain line at most every few seconds.
Without either it prints nothing, so scripts and cron jobs stay quiet.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

BAR_WIDTH = 28
REDRAW_SECONDS = 0.1  # on a terminal
LOG_SECONDS = 5.0  # elsewhere


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


class Progress:
    """`progress(done, total, label)` draws; `progress.finish(message)` ends the line.

    `stream` is the command's stderr (Django's OutputWrapper or any text stream); `force` is the
    command's `--progress` flag.
    """

    def __init__(self, stream: Any, *, force: bool = False, clock: Any = time.monotonic) -> None:
        # Django's OutputWrapper appends a newline to every write: draw on the stream it wraps
        self.stream: TextIO = getattr(stream, "_out", stream)
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.enabled = self.tty or force
        self.clock = clock
        self.started = clock()
        self.last_draw = float("-inf")
        self.label = ""
        self.drawn = False
        self.last_line = ""

    def __call__(self, done: int, total: int | None = None, label: str = "", note: str = "") -> None:
        """Draw `label [bar] share done/total (elapsed, time left) note`; a new label starts a new line."""
        if not self.enabled:
            return
        now = self.clock()
        finished = total is not None and done >= total
        if label != self.label:
            if self.drawn and self.tty:
                self.stream.write("\n")
            self.label, self.started, self.last_draw = label, now, float("-inf")
        if not finished and now - self.last_draw < (REDRAW_SECONDS if self.tty else LOG_SECONDS):
            return
        self.last_draw = now
        elapsed = _duration(now - self.started)
        if total:
            share = min(done / total, 1.0)
            filled = int(share * BAR_WIDTH)
            eta = ""
            if 0 < share < 1:
                eta = f", about {_duration((now - self.started) * (1 - share) / share)} left"
            line = f"{label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} {done}/{total} ({elapsed}{eta})"
        else:
            line = f"{label} {done} ({elapsed})"
        if note:
            line += f" {note}"
        if line == self.last_line:
            return
        self.last_line = line
        if self.tty:
            self.stream.write("\r" + line + "\033[K")
            self.stream.flush()
        else:
            self.stream.write(line + "\n")
        self.drawn = True

    def finish(self, message: str = "") -> None:
        """End the bar's line (and write `message` on its own line, when given and enabled)."""
        if not self.enabled:
            return
        if self.drawn and self.tty:
            self.stream.write("\n")
        if message:
            self.stream.write(message + "\n")
        self.drawn = False
        self.label = ""


def add_progress_argument(parser: Any) -> None:
    """The `--progress` flag every long-running command takes."""
    parser.add_argument(
        "--progress",
        action="store_true",
        help="draw a progress bar on stderr even when it is not a terminal (it is drawn on a terminal anyway)",
    )
