"""Manual entry when a card is missing or unreadable: the 18-digit ID number, checked as it
is typed (GB 11643 check digit), and the invigilator's reason, which is always recorded."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.widgets import Texts, button, label, set_role
from hardware.cards.manual import check_partial, manual_document, normalize

ID_LENGTH = 18


def check_id_number(text: str) -> tuple[bool, bool, str]:
    """(complete and valid, already wrong, what to tell the invigilator) for typed text."""
    result = check_partial(text)
    if not result.ok_so_far:
        return False, True, tr(result.message_zh, result.message_en)
    if result.complete:
        return True, False, tr("号码校验通过", "Number is valid")
    missing = ID_LENGTH - len(normalize(text))
    return False, False, tr(f"还需输入 {missing} 位", f"{missing} more characters")


class ManualEntryDialog(QDialog):
    """Emits `entered(IdentityDocument)` when the number is valid and a reason is given."""

    entered = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = Texts()
        self.texts.bind(self.setWindowTitle, "手工录入证件号码", "Manual entry")
        self.setMinimumWidth(560)
        self.number = QLineEdit()
        self.number.setObjectName("manual_number")
        self.number.setMaxLength(ID_LENGTH)
        self.number.setValidator(
            QRegularExpressionValidator(QRegularExpression("[0-9]{0,17}[0-9Xx]?"), self.number)
        )
        self.texts.bind(self.number.setPlaceholderText, "18 位身份证号码", "18-digit ID number")
        self.feedback = QLabel()
        self.feedback.setObjectName("manual_feedback")
        self.reason = QLineEdit()
        self.reason.setObjectName("manual_reason")
        self.texts.bind(
            self.reason.setPlaceholderText,
            "原因（必填），例如：证件芯片损坏",
            "Reason (required), e.g. the card's chip is damaged",
        )
        self.ok = button(self.texts, "核验", "Check", role="primary", name="manual_ok")
        cancel = button(self.texts, "取消", "Cancel", name="manual_cancel")
        self.ok.clicked.connect(self._accept)
        # Enter in the number field goes on to the reason while it is empty; once both are
        # filled, Enter presses 核验 (the dialog's default button) from either field.
        self.number.returnPressed.connect(self._number_entered)
        cancel.clicked.connect(self.reject)
        self.number.textChanged.connect(self._changed)
        self.reason.textChanged.connect(self._changed)
        actions = QHBoxLayout()
        actions.addWidget(cancel)
        actions.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.addWidget(label(self.texts, "证件号码", "ID number", role="heading"))
        layout.addWidget(self.number)
        layout.addWidget(self.feedback)
        layout.addWidget(label(self.texts, "手工录入原因", "Why by hand", role="heading"))
        layout.addWidget(self.reason)
        layout.addLayout(actions)
        QWidget.setTabOrder(self.number, self.reason)
        QWidget.setTabOrder(self.reason, self.ok)
        QWidget.setTabOrder(self.ok, cancel)
        self._changed()

    def _number_entered(self) -> None:
        if check_id_number(self.number.text())[0] and not self.reason.text().strip():
            self.reason.setFocus()

    def _changed(self) -> None:
        valid, wrong, message = check_id_number(self.number.text())
        self.feedback.setText(message)
        self.number.setProperty("valid", "true" if valid else ("false" if wrong else ""))
        set_role(self.feedback, "error" if wrong else "muted")
        self.number.style().unpolish(self.number)
        self.number.style().polish(self.number)
        self.ok.setEnabled(valid and bool(self.reason.text().strip()))

    def _accept(self) -> None:
        if not self.ok.isEnabled():
            return
        try:
            document = manual_document(self.number.text(), "", self.reason.text())
        except Exception as exc:  # InvalidIdNumber: shown, the dialog stays open
            self.feedback.setText(error_text(exc))
            return
        self.entered.emit(document)
        self.accept()
