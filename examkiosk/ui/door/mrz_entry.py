"""The chip key box: shown when the reader finds an ICAO chip (passport or ID card) it
cannot open.

The roster carries no passport number or expiry date, so the invigilator gives the chip's
key here, in either of two fields:
- the MRZ data: typed as "DOCNO,BIRTH,EXPIRY" (dates YYMMDD or YYYY-MM-DD), or the
  machine-readable zone from an MRZ scanner (a passport's TD3 lower line or both lines, an
  ID card's TD1 first two lines or all three), check digits verified before the chip is
  touched (`hardware.cards.mrz.key_from_text`);
- the CAN: the 6 digits printed on the front of newer ID cards (PACE chips accept it).
Either emits `key_entered` with the key; Enter in a field confirms it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from examkiosk.ui.i18n import tr
from examkiosk.ui.widgets import Texts, button, label, set_role
from hardware.cards.mrz import AccessKey, MrzTextError, can_from_text, key_from_text

bac_key_from_text = key_from_text  # the name the door used before the CAN box existed


class MrzEntry(QWidget):
    """Emits `key_entered(BacKey | CanKey)` when the invigilator confirms a well-formed key."""

    key_entered = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mrz_entry")
        self.texts = Texts()
        self.field = QLineEdit()
        self.field.setObjectName("mrz_text")
        self.texts.bind(
            self.field.setPlaceholderText,
            "证件号码,出生日期,有效期 或扫描机读码",
            "DOCNO,BIRTH,EXPIRY or scan the MRZ",
        )
        self.can = QLineEdit()
        self.can.setObjectName("mrz_can")
        self.can.setMaxLength(6)
        self.texts.bind(
            self.can.setPlaceholderText,
            "或：身份证正面 6 位 CAN",
            "or: the ID card's 6-digit CAN",
        )
        self.feedback = QLabel()
        self.feedback.setObjectName("mrz_feedback")
        self.feedback.setWordWrap(True)
        self.ok = button(self.texts, "读取芯片", "Read chip", role="primary", name="mrz_ok")
        self.ok.clicked.connect(self.submit)
        self.field.returnPressed.connect(self.submit)  # MRZ scanners end with Enter
        self.can.returnPressed.connect(self.submit_can)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field, 3)
        row.addWidget(self.can, 1)
        row.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            label(
                self.texts,
                "证件芯片需要机读码信息或 CAN",
                "The document's chip needs its MRZ data or CAN",
                role="heading",
            )
        )
        layout.addLayout(row)
        layout.addWidget(self.feedback)
        self.setVisible(False)

    def ask(self) -> None:
        """Show the box (the card stays on the reader) and put the cursor in it."""
        self.setVisible(True)
        self.field.selectAll()
        self.field.setFocus()

    def dismiss(self) -> None:
        self.setVisible(False)
        self.field.clear()
        self.can.clear()
        self.feedback.clear()

    def submit(self) -> None:
        """The MRZ field, or the CAN field when only that one is filled."""
        if not self.field.text().strip() and self.can.text().strip():
            self.submit_can()
            return
        self._emit(lambda: key_from_text(self.field.text()))

    def submit_can(self) -> None:
        self._emit(lambda: can_from_text(self.can.text()))

    def _emit(self, make: Callable[[], AccessKey]) -> None:
        try:
            key: AccessKey = make()
        except MrzTextError as exc:
            self.feedback.setText(tr(exc.zh, exc.en))
            set_role(self.feedback, "error")
            return
        self.feedback.setText(tr("正在读取芯片……", "Reading the chip…"))
        set_role(self.feedback, "muted")
        self.key_entered.emit(key)

    def retranslate(self) -> None:
        self.texts.apply()
