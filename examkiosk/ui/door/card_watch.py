"""Waits for cards on a reader, off the GUI thread, and hands each document to the screen."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from examkiosk.ui.ops import Operations
from hardware.cards.document import CardReader

READ_TIMEOUT_S = 0.3  # short, so stopping the watch (closing the window) is quick
RETRY_AFTER_ERROR_MS = 1500


class CardWatch(QObject):
    """Emits `document_read(IdentityDocument)` per card, `failed(exception)` per reader problem."""

    document_read = Signal(object)
    failed = Signal(object)

    def __init__(self, reader: CardReader, ops: Operations, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.ops = ops
        self._running = False
        self._in_flight = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True
        self._next()

    def stop(self) -> None:
        self._running = False

    def _next(self) -> None:
        if not self._running or self._in_flight:
            return
        self._in_flight = True
        self.ops.run(
            lambda job: self.reader.read(READ_TIMEOUT_S), self._on_read, self._on_error, io=True
        )

    def _on_read(self, document: object) -> None:
        self._in_flight = False
        if document is not None and self._running:
            self.document_read.emit(document)
        QTimer.singleShot(0, self._next)

    def _on_error(self, exc: BaseException) -> None:
        self._in_flight = False
        self.failed.emit(exc)
        QTimer.singleShot(RETRY_AFTER_ERROR_MS, self._next)
