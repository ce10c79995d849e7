"""The one way a screen does I/O: `ops.run(fn, on_done=...)`.

`fn` runs on a worker thread (one single-thread executor for the database, so the store is
only ever touched by one thread, and one for devices and network); its result or error is
delivered back on the GUI thread. Long jobs get a `Job` to report progress and to see a
cancel request. The GUI thread never waits on I/O.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)
T = TypeVar("T")


class Job:
    """Handed to a long job: report progress, notice cancellation."""

    def __init__(self, report: Callable[[int, int, str], None]) -> None:
        self._cancel = threading.Event()
        self._report = report

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._report(done, total, text)

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()


class Operations(QObject):
    _deliver = Signal(object)
    progressed = Signal(int, int, str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._io = ThreadPoolExecutor(max_workers=2, thread_name_prefix="device-io")
        # The door's face work at a card tap: its own thread, so it never queues behind a
        # card reader or camera waiting for a device.
        self._face = ThreadPoolExecutor(max_workers=1, thread_name_prefix="face-check")
        self._deliver.connect(lambda callback: callback())
        self._pending = 0

    def run(
        self,
        fn: Callable[[Job], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        io: bool = False,
        face: bool = False,
    ) -> Job:
        """Run `fn(job)` off the GUI thread; call `on_done(result)` or `on_error(exc)` on it.
        `io`: device and network work; `face`: the door's face check; else the database."""
        job = Job(lambda d, t, s: self._deliver.emit(lambda: self.progressed.emit(d, t, s)))
        self._set_pending(+1)
        executor = self._face if face else self._io if io else self._db
        future: Future[T] = executor.submit(fn, job)

        def finished(f: Future[T]) -> None:
            def on_gui_thread() -> None:
                self._set_pending(-1)
                exc = f.exception()
                if exc is None:
                    if on_done is not None:
                        on_done(f.result())
                    return
                if hasattr(exc, "zh"):  # a problem for the user (no camera...), not a bug
                    log.info("operation refused: %s", exc)
                else:
                    log.warning("operation failed: %s", exc, exc_info=exc)
                if on_error is not None:
                    on_error(exc)

            self._deliver.emit(on_gui_thread)

        future.add_done_callback(finished)
        return job

    def on_gui_thread(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the GUI thread (safe to call from any thread)."""
        self._deliver.emit(fn)

    def _set_pending(self, delta: int) -> None:
        before = self._pending
        self._pending += delta
        if (before == 0) != (self._pending == 0):
            self.busy_changed.emit(self._pending > 0)

    def shutdown(self) -> None:
        self._db.shutdown(wait=True)
        self._io.shutdown(wait=True)
        self._face.shutdown(wait=True)
