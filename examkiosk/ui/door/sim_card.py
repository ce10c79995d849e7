"""Demo only: present a candidate's card on the simulated reader, and show the simulated
camera that candidate's video (or, to demonstrate an impostor, another candidate's)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QVBoxLayout, QWidget

from examkiosk.core.roster import Candidate
from examkiosk.ui.widgets import Texts, button, label
from hardware.cards.document import DocumentType, IdentityDocument, ReadingMethod


def simulated_card(candidate: Candidate, chip_photo: bytes | None = None) -> IdentityDocument:
    """The document the candidate would carry: a resident ID card (birth date from the ID
    number), or a passport when the roster names them by a passport number. `chip_photo`
    is what the card's chip holds (the demo uses the candidate's roster photo)."""
    if not candidate.id_number[:1].isdigit():
        return IdentityDocument(
            doc_type=DocumentType.PASSPORT,
            number=candidate.id_number,
            name=candidate.name,
            reading_method=ReadingMethod.SIMULATED,
            photo=chip_photo,
        )
    birth: date | None
    try:
        digits = candidate.id_number[6:14]
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        birth = None
    return IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        number=candidate.id_number,
        name=candidate.name,
        reading_method=ReadingMethod.SIMULATED,
        birth_date=birth,
        nationality="CHN",
        photo=chip_photo,
    )


class SimulatedCardPanel(QWidget):
    """Emits `present_requested(candidate, camera_candidate_id)`."""

    present_requested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = Texts()
        self.candidates = QComboBox()
        self.candidates.setObjectName("sim_candidate")
        self.impostor = QCheckBox()
        self.impostor.setObjectName("sim_impostor")
        self.texts.bind(
            self.impostor.setText,
            "冒名顶替演示（摄像头显示另一考生）",
            "Impostor demo (camera shows another candidate)",
        )
        self.present = button(
            self.texts, "模拟刷卡", "Present simulated card", role="primary", name="sim_present"
        )
        self.present.clicked.connect(self._present)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            label(self.texts, "演示：模拟读卡器", "Demo: simulated card reader", role="muted")
        )
        layout.addWidget(self.candidates)
        layout.addWidget(self.impostor)
        layout.addWidget(self.present)
        self._list: list[Candidate] = []

    def set_candidates(self, candidates: list[Candidate]) -> None:
        if [c.candidate_id for c in candidates] == [c.candidate_id for c in self._list]:
            return  # the live refresh: nothing changed, keep the invigilator's choice
        current = self.candidates.currentIndex()
        self._list = list(candidates)
        self.candidates.clear()
        for c in self._list:
            self.candidates.addItem(f"{c.seat}  {c.name}  {c.ticket}", c.candidate_id)
        if 0 <= current < len(self._list):
            self.candidates.setCurrentIndex(current)

    def index_of(self, candidate_id: str) -> int:
        return self.candidates.findData(candidate_id)

    def select(self, candidate_id: str) -> None:
        index = self.candidates.findData(candidate_id)
        if index >= 0:
            self.candidates.setCurrentIndex(index)

    def retranslate(self) -> None:
        self.texts.apply()

    def _present(self) -> None:
        index = self.candidates.currentIndex()
        if not 0 <= index < len(self._list):
            return
        candidate = self._list[index]
        shown = candidate
        if self.impostor.isChecked() and len(self._list) > 1:
            # The next candidate who has a photo, so the face check has someone to compare.
            others = [c for c in self._list[index + 1 :] + self._list[:index] if c.has_photo]
            shown = others[0] if others else self._list[(index + 1) % len(self._list)]
        self.present_requested.emit(candidate, shown.candidate_id)
