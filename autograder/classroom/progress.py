"""What an instructor sees while a class is graded: one labelled progress display, a live bar on a
terminal and plain lines when the output goes to a log file (a piped run used to say nothing until
it ended). The executors say which phase they are in (``phase``): preparing the class's examples
takes a while before the first result, and an unlabelled "0/44" looks stuck."""
from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

# Plain lines: at most about this many for a whole run, however large the class.
LINES = 20


class RunProgress:
    """``with RunProgress(total, mode) as p``: ``p.phase(text)``, ``p.advance()``. ``mode``: "bar"
    (rich, on a terminal), "lines" (plain lines on ``stream``), or None (silent)."""

    def __init__(self, total: int, mode: str | None, console: Console | None = None,
                 stream=None):
        self.total, self.mode, self.done = total, mode, 0
        self.stream = stream if stream is not None else sys.stderr
        self.every = max(1, total // LINES)
        self.t0 = time.monotonic()
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(),
                            console=console or Console(stderr=True), disable=mode != "bar",
                            transient=False)
        self.task = None

    def __enter__(self):
        self.bar.__enter__()
        self.task = self.bar.add_task("grading", total=self.total)
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def _line(self, text: str) -> None:
        if self.mode == "lines":
            print(f"[{time.monotonic() - self.t0:6.1f} s] {text}", file=self.stream, flush=True)

    def phase(self, text: str) -> None:
        self.bar.update(self.task, description=text)
        self._line(f"{text} ...")

    def advance(self) -> None:
        self.done += 1
        self.bar.update(self.task, description="grading", advance=1)
        if self.done % self.every == 0 or self.done == self.total:
            self._line(f"graded {self.done}/{self.total}")
