"""The seat's card reader: the candidate taps the ID card checked in at the door to sign in.

The reader is the station's configured one (the same driver and configuration as the door:
examkiosk/app/devices.py), polled off the GUI thread by the door's `CardWatch` only while
the login page shows, so a card left on the reader during the exam is never read again.
The demo's simulated reader gets a small panel to put a candidate's card on it; whether a
simulated card may sign anyone in is decided in core (seat_card: refused on a real sitting).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget
from shiboken6 import isValid

from examkiosk.core import roster
from examkiosk.core.roster import Candidate
from examkiosk.ui.door.card_watch import CardWatch
from examkiosk.ui.door.sim_card import simulated_card
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, label
from hardware.cards.errors import (
    AccessDenied,
    BacKeyNeeded,
    CardError,
    CardNotResponding,
    CardRemoved,
    PcscUnavailable,
    ReaderNotFound,
    ReaderRemoved,
    SerialReaderError,
    UnknownCard,
)
from hardware.sim.card_queue import QueueCardReader

# The reader itself is missing or its service is down: not the candidate's card. The seat
# then offers the typed way in, quietly (the log has the detail for the technician).
READER_PROBLEMS = (PcscUnavailable, ReaderNotFound, ReaderRemoved, SerialReaderError)


class SeatCardWatch(CardWatch):
    """The door's watch, also saying when the reader answered (a read that ended without
    an error, with or without a card), so the seat shows its card prompt only while there
    is a reader to tap on."""

    reader_answered = Signal()

    def _on_read(self, document: object) -> None:
        if not isValid(self):
            return  # the seat was closed while a read was in flight: nobody to tell
        self.reader_answered.emit()
        super()._on_read(document)

    def _on_error(self, exc: BaseException) -> None:
        if isValid(self):
            super()._on_error(exc)


def card_problem_text(exc: BaseException) -> str:
    """What the candidate reads when the card could not be read at the seat. The drivers'
    own texts speak to the door's invigilator ("改用手工录入"); the seat's fallback is the
    typed ticket and ID number."""
    if isinstance(exc, CardRemoved):
        return tr(
            "读卡过程中证件被移开，未登录。请将证件平放在读卡器上，保持不动直到页面变化。",
            "The card was taken away while being read; you are not signed in. Put it flat "
            "on the reader and hold it still until the page changes.",
        )
    if isinstance(exc, CardNotResponding):
        # Also what a card pulled mid-read gives when pcscd has not yet seen it go.
        return tr(
            "证件无响应，未登录。请拿开证件，稍等两秒后重新放卡；仍不行请输入准考证号和证件号码。",
            "The card did not answer; you are not signed in. Take it away, wait two seconds "
            "and present it again; if it still fails, type your admission ticket and ID number.",
        )
    if isinstance(exc, BacKeyNeeded | AccessDenied):
        # The chip key box belongs to the door; the seat has the typed fallback.
        return tr(
            "座位读卡器无法读取此护照芯片。请输入准考证号和证件号码登录。",
            "The seat's reader cannot open this passport chip. Type your admission ticket and "
            "ID number to sign in.",
        )
    if isinstance(exc, UnknownCard):
        return tr(
            "无法识别此卡。请使用入口核验时的身份证件，或输入准考证号和证件号码登录。",
            "This card is not recognised. Use the ID document you were checked in with, or "
            "type your admission ticket and ID number.",
        )
    if isinstance(exc, CardError):
        return tr(
            "未能读取此证件，未登录。请将证件平放在读卡器上重试；仍不行请输入准考证号和证件号码。",
            "The card could not be read; you are not signed in. Lay it flat on the reader "
            "and try again; if it still fails, type your admission ticket and ID number.",
        )
    return error_text(exc)


class SeatSimulatedCard(QWidget):
    """Demo/rehearsal only: put a candidate's simulated card on the seat's queue reader."""

    def __init__(
        self, reader: QueueCardReader, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("seat_sim_card")
        self.reader = reader
        self.ops = ops
        self.texts = Texts()
        self.candidates = QComboBox()
        self.candidates.setObjectName("seat_sim_candidate")
        self.present = button(
            self.texts, "模拟刷卡", "Present simulated card", name="seat_sim_present"
        )
        self.present.clicked.connect(self._present)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label(self.texts, "演示：模拟读卡器", "Demo: simulated reader", role="muted"))
        row.addWidget(self.candidates, 1)
        row.addWidget(self.present)
        self._list: list[Candidate] = []

    def load(self, store: object) -> None:
        self.ops.run(lambda job: roster.all_candidates(store), self._show)  # type: ignore[arg-type]

    def _show(self, candidates: list[Candidate]) -> None:
        self._list = list(candidates)
        self.candidates.clear()
        for candidate in self._list:
            self.candidates.addItem(f"{candidate.seat}  {candidate.name}  {candidate.ticket}")

    def present_card(self, candidate: Candidate) -> None:
        self.reader.present(simulated_card(candidate))

    def _present(self) -> None:
        index = self.candidates.currentIndex()
        if 0 <= index < len(self._list):
            self.present_card(self._list[index])

    def retranslate(self) -> None:
        self.texts.apply()
