"""The passport key box: shown when the reader finds a passport chip it cannot open.

The roster carries no passport number or expiry date, so the invigilator gives the chip's
BAC key here: typed as "DOCNO,BIRTH,EXPIRY" (dates YYMMDD or YYYY-MM-DD), or the machine-
readable zone from an MRZ scanner (the passport's lower line of 44 characters, the whole
two-line zone, or the first two lines of an ID card), check digits verified.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from examkiosk.ui.i18n import tr
from examkiosk.ui.widgets import Texts, button, label, set_role
from hardware.cards.errors import MalformedCardData
from hardware.cards.mrz import BacKey, parse_mrz

_TD3_LINE1 = "P<" + "<" * 42  # stands in for the name line a scanner may not send
_TD1_LINE3 = "<" * 30


def bac_key_from_text(text: str) -> BacKey:
    """The BAC key in typed or scanned text; ValueError with (zh, en) args if there is none."""
    raw = text.strip().upper()
    if "," in raw:
        try:
            return BacKey.parse(raw)
        except ValueError:
            raise ValueError(
                "格式应为：证件号码,出生日期,有效期（如 E12345678,1990-01-15,2034-01-01）",
                "Use DOCNO,BIRTH,EXPIRY (e.g. E12345678,1990-01-15,2034-01-01)",
            ) from None
    zone = "".join(raw.split())
    padded = {44: _TD3_LINE1 + zone, 88: zone, 60: zone + _TD1_LINE3, 90: zone}.get(len(zone))
    if padded is None:
        raise ValueError(
            "请扫描护照下方的机读码行，或输入：证件号码,出生日期,有效期",
            "Scan the passport's machine-readable line, or type DOCNO,BIRTH,EXPIRY",
        )
    try:
        data = parse_mrz(padded)
    except MalformedCardData:
        data = None
    if data is None or not data.check_digits_ok:
        raise ValueError(
            "机读码校验位不符，请重新扫描或手工输入三项",
            "The machine-readable zone's check digits do not match: scan it again or type the "
            "three items",
        )
    return BacKey(data.document_number, data.birth_yymmdd, data.expiry_yymmdd)


class MrzEntry(QWidget):
    """Emits `key_entered(BacKey)` when the invigilator confirms a well-formed key."""

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
        self.feedback = QLabel()
        self.feedback.setObjectName("mrz_feedback")
        self.feedback.setWordWrap(True)
        self.ok = button(self.texts, "读取护照", "Read passport", role="primary", name="mrz_ok")
        self.ok.clicked.connect(self.submit)
        self.field.returnPressed.connect(self.submit)  # MRZ scanners end with Enter
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field, 1)
        row.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            label(
                self.texts,
                "护照芯片需要机读码信息",
                "The passport chip needs its MRZ data",
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
        self.feedback.clear()

    def submit(self) -> None:
        try:
            key = bac_key_from_text(self.field.text())
        except ValueError as exc:
            zh, en = exc.args if len(exc.args) == 2 else (str(exc), str(exc))
            self.feedback.setText(tr(zh, en))
            set_role(self.feedback, "error")
            return
        self.feedback.setText(tr("正在读取芯片……", "Reading the chip…"))
        set_role(self.feedback, "muted")
        self.key_entered.emit(key)

    def retranslate(self) -> None:
        self.texts.apply()
