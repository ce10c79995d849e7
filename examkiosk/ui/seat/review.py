"""Review before submitting (unanswered and flagged items), confirm, and the receipt."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.paper import Item
from examkiosk.core.scoring import Receipt
from examkiosk.ui.i18n import tr


def _heading(text: str = "") -> QLabel:
    widget = QLabel(text)
    widget.setProperty("role", "heading")
    widget.setWordWrap(True)
    return widget


class ReviewPage(QWidget):
    go_to = Signal(int)
    back = Signal()
    submit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _heading()
        self.summary = QLabel()
        self.summary.setObjectName("review_summary")
        self.summary.setWordWrap(True)
        self.unanswered_box = QFrame()
        self.unanswered = QGridLayout(self.unanswered_box)
        self.flagged_box = QFrame()
        self.flagged = QGridLayout(self.flagged_box)
        self.unanswered_title = QLabel()
        self.flagged_title = QLabel()
        self.back_button = QPushButton()
        self.back_button.setObjectName("back_to_questions")
        self.submit_button = QPushButton()
        self.submit_button.setObjectName("submit")
        self.submit_button.setProperty("role", "primary")
        self.confirm = QLabel()
        self.confirm.setObjectName("confirm_text")
        self.confirm.setWordWrap(True)
        self.confirm.setProperty("role", "error")
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self._armed = False
        self.back_button.clicked.connect(self.back)
        self.submit_button.clicked.connect(self._submit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        for widget in (
            self.title,
            self.summary,
            self.unanswered_title,
            self.unanswered_box,
            self.flagged_title,
            self.flagged_box,
            self.confirm,
            self.error,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("交卷前检查", "Check before submitting"))
        self.unanswered_title.setText(
            tr("未作答的题（按题号返回）：", "Unanswered (go back by number):")
        )
        self.flagged_title.setText(tr("已标记的题：", "Flagged:"))
        self.back_button.setText(tr("返回作答 (Esc)", "Back to questions (Esc)"))
        self._arm(self._armed)

    def show_review(
        self, items: list[Item], answers: dict[str, list[str]], flags: set[str]
    ) -> None:
        missing = [n for n, i in enumerate(items) if not answers.get(i.item_id)]
        flagged = [n for n, i in enumerate(items) if i.item_id in flags]
        self.summary.setText(
            tr(
                f"共 {len(items)} 题，已答 {len(items) - len(missing)} 题，未答 {len(missing)} 题，"
                f"标记 {len(flagged)} 题。",
                f"{len(items)} items: {len(items) - len(missing)} answered, {len(missing)} "
                f"unanswered, {len(flagged)} flagged.",
            )
        )
        for grid, numbers in ((self.unanswered, missing), (self.flagged, flagged)):
            while grid.count():
                widget = grid.takeAt(0).widget()
                if widget is not None:
                    widget.deleteLater()
            for k, n in enumerate(numbers[:80]):
                button = QPushButton(str(n + 1))
                button.setProperty("nav", "unanswered")
                button.clicked.connect(lambda _c=False, n=n: self.go_to.emit(n))
                grid.addWidget(button, k // 10, k % 10)
        self.error.clear()
        self._arm(False)
        self.back_button.setFocus()

    def _arm(self, armed: bool) -> None:
        self._armed = armed
        self.submit_button.setEnabled(True)
        if armed:
            self.confirm.setText(
                tr(
                    "交卷后不能再修改答案。确定交卷吗？再按一次“确认交卷”。",
                    "After submitting you cannot change any answer. Press "
                    "“Confirm submit” to submit.",
                )
            )
            self.submit_button.setText(tr("确认交卷", "Confirm submit"))
        else:
            self.confirm.clear()
            self.submit_button.setText(tr("交卷", "Submit"))

    def _submit(self) -> None:
        if not self._armed:
            self._arm(True)
            self.submit_button.setFocus()
            return
        self.submit_button.setEnabled(False)
        self.submit.emit()

    def failed(self, text: str) -> None:
        self.error.setText(text)
        self._arm(False)

    def keyPressEvent(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        if isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            self.back.emit()
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]


class ReceiptPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _heading()
        self.body = QLabel()
        self.body.setObjectName("receipt")
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (self.title, self.body, self.note):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.receipt: Receipt | None = None
        self.show_score = False
        self.reason = ""

    def show_receipt(self, receipt: Receipt, *, show_score: bool, reason: str = "") -> None:
        self.receipt, self.show_score, self.reason = receipt, show_score, reason
        self.retranslate()

    def retranslate(self) -> None:
        receipt = self.receipt
        if receipt is None:
            return
        self.title.setText(
            tr("考试时间到，已自动交卷", "Time is up: submitted automatically")
            if self.reason == "time_up"
            else tr("已交卷", "Submitted")
        )
        lines = [
            tr(f"作答编号：{receipt.attempt_id}", f"Attempt: {receipt.attempt_id}"),
            tr(f"答卷校验码：{receipt.answer_hash}", f"Answer check code: {receipt.answer_hash}"),
            tr(
                f"已答 {receipt.answered} / {receipt.total} 题",
                f"Answered {receipt.answered} of {receipt.total}",
            ),
        ]
        if self.show_score:
            lines.append(
                tr(
                    f"客观题得分：{receipt.score:g} / {receipt.max_score:g}",
                    f"Score: {receipt.score:g} of {receipt.max_score:g}",
                )
            )
        self.body.setText("\n".join(lines))
        self.note.setText(
            tr(
                "请记下校验码，举手示意监考员后离开座位。",
                "Note the check code, raise your hand and wait for the invigilator.",
            )
        )
