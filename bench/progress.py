"""A text progress bar for long loads, without a dependency."""

from __future__ import annotations

import time
from typing import TextIO

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Draws `label [#####.....] 50% 5,000/10,000` on one line, redrawn in place.

    On a terminal the line is redrawn at most ten times a second; elsewhere (CI logs,
    files) only the finished line of each step is written, so logs stay readable.
    """

    WIDTH = 30

    def __init__(self, stream: TextIO | OutputWrapper, *, interactive: bool | None = None) -> None:
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self._label: str | None = None
        self._finished = False
        self._last_draw = 0.0
        self._started = time.monotonic()

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self._label:
            self._label = label
            self._started = time.monotonic()
            self._finished = False
        finished = done >= total
        if self._finished:
            return
        self._finished = finished
        now = time.monotonic()
        if not finished and (not self.interactive or now - self._last_draw < 0.1):
            return
        self._last_draw = now
        line = self.render(label, done, total)
        if finished:
            line += f" ({now - self._started:.1f}s)"
        if self.interactive:
            self._write("\r\x1b[2K" + line + ("\n" if finished else ""))
        else:
            self._write(line + "\n")
        self.stream.flush()

    def _write(self, text: str) -> None:
        # A management command's stdout adds its own line ending unless told not to.
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)

    @classmethod
    def render(cls, label: str, done: int, total: int) -> str:
        fraction = 1.0 if total <= 0 else min(1.0, done / total)
        filled = round(fraction * cls.WIDTH)
        bar = "#" * filled + "." * (cls.WIDTH - filled)
        return f"{label:<26} [{bar}] {fraction:4.0%} {done:,}/{total:,}"
