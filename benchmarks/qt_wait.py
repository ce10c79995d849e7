"""Waiting for the kiosk's screens in a benchmark, as the window waits.

A QEventLoop, not QTest.qWait: qWait keeps the interpreter lock while it waits, so every
worker thread (the face work, the database) waits up to its whole interval each time it needs
the lock back, and a face encoding needs it hundreds of times: measured in benchmarks/door.py,
that made a 60 ms tap take 0.7-1 s. The window's `exec()` lets go of the lock, like this loop.
(Nor a processEvents() loop: PySide6 6.x drops a reference to None on each call, and thousands
of them abort the interpreter.)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer


def wait_until(
    condition: Callable[[], bool], *, timeout: float, interval_ms: int, what: str
) -> None:
    """Run the Qt event loop until `condition()` holds, checking it every `interval_ms`
    (so a figure is at most that late); TimeoutError naming `what` after `timeout` s."""
    deadline = time.perf_counter() + timeout
    if condition():
        return
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(
        lambda: loop.quit() if condition() or time.perf_counter() > deadline else None
    )
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError(f"{what} did not respond in {timeout:.0f} s")
