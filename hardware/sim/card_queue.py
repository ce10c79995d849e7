"""A simulated card reader: cards are "presented" by putting documents on its queue.

The demo and the rehearsal present each candidate's card this way; the door screen reads
it through the same `CardReader` interface as a real reader.
"""

from __future__ import annotations

import queue

from hardware.cards.document import IdentityDocument


class QueueCardReader:
    name = "simulated reader"

    def __init__(self) -> None:
        self._cards: queue.Queue[IdentityDocument] = queue.Queue()

    def present(self, document: IdentityDocument) -> None:
        self._cards.put(document)

    def read(self, timeout: float) -> IdentityDocument | None:
        try:
            return self._cards.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        while not self._cards.empty():
            self._cards.get_nowait()
