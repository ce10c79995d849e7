"""Progress and Ctrl-C for long command-line operations (bundle export).

Progress goes to stderr, so `--json` output on stdout stays clean: a redrawn line on a
terminal, a line per tenth otherwise (logs, tests). The first Ctrl-C asks the operation to
stop at its next safe point (it then cleans up after itself); a second one interrupts hard.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class Progress:
    def __init__(self, label: str) -> None:
        self.label = label
        self._tty = sys.stderr.isatty()
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, 100 * done // total)
        if self._tty:
            click.echo(f"\r{self.label} {percent:3d}% ({done}/{total})", err=True, nl=False)
            if percent == 100:
                click.echo("", err=True)
        elif percent // 10 > self._shown // 10 or (percent == 100 and self._shown < 100):
            click.echo(f"{self.label} {percent}% ({done}/{total})", err=True)
        self._shown = percent


class CancelFlag:
    def __init__(self) -> None:
        self._event = threading.Event()

    def __call__(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        self._event.set()


@contextmanager
def cancel_on_ctrl_c() -> Iterator[CancelFlag]:
    """Within the block, the first SIGINT sets the yielded flag; a second one raises
    KeyboardInterrupt as usual."""
    flag = CancelFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def first(_signum: int, _frame: FrameType | None) -> None:
        # Only the flag here: the handler may run in the middle of a write to stderr, and a
        # second write from inside it would fail (re-entrant buffered I/O).
        flag.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
