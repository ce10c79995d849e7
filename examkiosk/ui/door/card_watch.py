"""Waits for cards on a reader, off the GUI thread, and hands each document to the screen.

A passport key the invigilator gives (`supply_key`) goes with the next read as `bac=`, which
makes a PC/SC reader retry the passport chip still lying on it; the key is used for one
attempt that reaches a card (read or refused) and then forgotten.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from examkiosk.ui.ops import Operations
from hardware.cards.document import CardReader, IdentityDocument
from hardware.cards.mrz import BacKey
from hardware.cards.pcsc import PcscCardReader

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
        self._key: BacKey | None = None

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True
        self._next()

    def stop(self) -> None:
        self._running = False

    @property
    def accepts_keys(self) -> bool:
        """Whether this reader can open passports with a key (PC/SC)."""
        return isinstance(self.reader, PcscCardReader)

    def supply_key(self, key: BacKey) -> None:
        """Try `key` on the passport on the reader (or the next one presented), at once."""
        self._key = key
        self._next()

    def _read(self, key: BacKey | None) -> IdentityDocument | None:
        if key is not None and isinstance(self.reader, PcscCardReader):
            return self.reader.read(READ_TIMEOUT_S, bac=key)
        return self.reader.read(READ_TIMEOUT_S)

    def _next(self) -> None:
        if not self._running or self._in_flight:
            return
        self._in_flight = True
        key = self._key
        self.ops.run(lambda job: self._read(key), self._on_read, self._on_error, io=True)

    def _on_read(self, document: object) -> None:
        self._in_flight = False
        if document is not None:
            self._key = None
            if self._running:
                self.document_read.emit(document)
        QTimer.singleShot(0, self._next)

    def _on_error(self, exc: BaseException) -> None:
        self._in_flight = False
        self._key = None  # a refused key costs the chip an attempt: never retry it blindly
        self.failed.emit(exc)
        QTimer.singleShot(RETRY_AFTER_ERROR_MS, self._next)
