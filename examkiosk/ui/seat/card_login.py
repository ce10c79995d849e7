"""The seat's card reader: the candidate taps the ID card checked in at the door to sign in.

The reader is the station's configured one (the same driver and configuration as the door:
examkiosk/app/devices.py), polled off the GUI thread by the door's `CardWatch` only while
the login page shows, so a card left on the reader during the exam is never read again.
The demo's simulated reader gets a small panel to put a candidate's card on it; whether a
simulated card may sign anyone in is decided in core (seat_card: refused on a real sitting).
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from examkiosk.core import roster
from examkiosk.core.roster import Candidate
from examkiosk.ui.door.sim_card import simulated_card
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, label
from hardware.cards.errors import AccessDenied, BacKeyNeeded, CardRemoved
from hardware.sim.card_queue import QueueCardReader


def card_problem_text(exc: BaseException) -> str:
    """What the candidate reads when the card could not be read at the seat."""
    if isinstance(exc, CardRemoved):
        return tr(
            "读卡过程中证件被移开，未登录。请将证件平放在读卡器上，保持不动直到页面变化。",
            "The card was taken away while being read; you are not signed in. Put it flat "
            "on the reader and hold it still until the page changes.",
        )
    if isinstance(exc, BacKeyNeeded | AccessDenied):
        # The chip key box belongs to the door; the seat has the typed fallback.
        return tr(
            "座位读卡器无法读取此护照芯片。请输入准考证号和证件号码登录。",
            "The seat's reader cannot open this passport chip. Type your admission ticket and "
            "ID number to sign in.",
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
