"""Review before submitting (unanswered and flagged items), confirm, and the receipt."""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.paper import Item
from examkiosk.core.scoring import Receipt
from examkiosk.ui.i18n import tr
from examkiosk.ui.seat.receipt_print import PrintedReceipt, ask_and_print


def _heading(text: str = "") -> QLabel:
    widget = QLabel(text)
    widget.setProperty("role", "heading")
    widget.setWordWrap(True)
    return widget


class SubmitDialog(QDialog):
    """The one place a candidate submits: a separate window over the review page, so a
    double click on 交卷 cannot submit. Focus starts on 返回检查 (Enter there goes back);
    确认交卷 is a deliberate Tab + Enter, or a click. Esc goes back."""

    def __init__(self, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("submit_dialog")
        self.setWindowTitle(tr("确认交卷", "Confirm submission"))
        self.setModal(True)
        text = QLabel(
            summary
            + "\n\n"
            + tr(
                "交卷后不能再修改答案。确定交卷吗？",
                "After submitting you cannot change any answer. Submit now?",
            )
        )
        text.setObjectName("submit_text")
        text.setWordWrap(True)
        self.back = QPushButton(tr("返回检查", "Go back"))
        self.back.setObjectName("submit_back")
        self.confirm = QPushButton(tr("确认交卷", "Submit"))
        self.confirm.setObjectName("submit_confirm")
        self.confirm.setProperty("role", "primary")
        self.back.clicked.connect(self.reject)
        self.confirm.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.back)
        row.addStretch(1)
        row.addWidget(self.confirm)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(18)
        layout.addWidget(text)
        layout.addLayout(row)
        self.setMinimumWidth(520)
        self.back.setDefault(True)
        self.back.setFocus()


class ReviewPage(QWidget):
    go_to = Signal(int)
    back = Signal()
    submit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _heading()
        self.remaining = QLabel()
        self.remaining.setObjectName("review_remaining")
        self.remaining.setProperty("role", "timer")
        self.remaining_caption = QLabel()
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
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.dialog: SubmitDialog | None = None
        self.back_button.clicked.connect(self.back)
        self.submit_button.clicked.connect(self.ask_to_submit)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.remaining_caption)
        top.addWidget(self.remaining)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        body = QWidget()
        inner = QVBoxLayout(body)
        for widget in (
            self.summary,
            self.unanswered_title,
            self.unanswered_box,
            self.flagged_title,
            self.flagged_box,
            self.error,
        ):
            inner.addWidget(widget)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("review_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self._summary_text = ""
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("交卷前检查", "Check before submitting"))
        self.remaining_caption.setText(tr("剩余时间", "Time left"))
        self.unanswered_title.setText(
            tr("未作答的题（按题号返回）：", "Unanswered (go back by number):")
        )
        self.flagged_title.setText(tr("已标记的题：", "Flagged:"))
        self.back_button.setText(tr("返回作答 (Esc)", "Back to questions (Esc)"))
        self.submit_button.setText(tr("交卷…", "Submit…"))

    def set_remaining(self, text: str, low: bool) -> None:
        self.remaining.setText(text)
        role = "timer_low" if low else "timer"
        if self.remaining.property("role") != role:
            self.remaining.setProperty("role", role)
            self.remaining.style().unpolish(self.remaining)
            self.remaining.style().polish(self.remaining)

    def show_review(
        self, items: list[Item], answers: dict[str, list[str]], flags: set[str]
    ) -> None:
        missing = [n for n, i in enumerate(items) if not answers.get(i.item_id)]
        flagged = [n for n, i in enumerate(items) if i.item_id in flags]
        self._summary_text = tr(
            f"共 {len(items)} 题，已答 {len(items) - len(missing)} 题，未答 {len(missing)} 题，"
            f"标记 {len(flagged)} 题。",
            f"{len(items)} items: {len(items) - len(missing)} answered, {len(missing)} "
            f"unanswered, {len(flagged)} flagged.",
        )
        self.summary.setText(self._summary_text)
        for grid, numbers in ((self.unanswered, missing), (self.flagged, flagged)):
            while grid.count():
                widget = grid.takeAt(0).widget()
                if widget is not None:
                    widget.hide()
                    widget.deleteLater()
            for k, n in enumerate(numbers[:80]):
                button = QPushButton(str(n + 1))
                button.setProperty("nav", "unanswered")
                button.clicked.connect(lambda _c=False, n=n: self.go_to.emit(n))
                grid.addWidget(button, k // 10, k % 10)
        self.error.clear()
        self.submit_button.setEnabled(True)
        self.back_button.setFocus()

    def ask_to_submit(self) -> SubmitDialog:
        """Open the confirmation; only its 确认交卷 emits `submit`."""
        if self.dialog is not None and self.dialog.isVisible():
            return self.dialog  # a second click on 交卷 must not stack another window
        dialog = SubmitDialog(self._summary_text, self)
        dialog.accepted.connect(self._confirmed)
        self.dialog = dialog
        dialog.open()
        dialog.back.setFocus()
        return dialog

    def _confirmed(self) -> None:
        self.submit_button.setEnabled(False)
        self.submit.emit()

    def failed(self, text: str) -> None:
        self.error.setText(text)
        self.submit_button.setEnabled(True)

    def keyPressEvent(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        if isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            self.back.emit()
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]


def verification_code(answer_hash: str) -> str:
    """The answer hash in groups of four, upper case (3F2A-91BC-07DE): easy to copy down
    and to read out to an invigilator."""
    text = answer_hash.upper()
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


class ReceiptPage(QWidget):
    """What the candidate sees (and the invigilator can print) after submitting: who, when,
    how many answered, and a short verification code in groups of four."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _heading()
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.body = QLabel()
        self.body.setObjectName("receipt")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        self.note.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.print_button = QPushButton()
        self.print_button.setObjectName("print_receipt")
        self.print_button.setAutoDefault(True)  # Enter on the focused button prints
        self.print_button.clicked.connect(self.print_receipt)
        # None: a printer chosen in Qt's print dialog; the tests give a PDF printer.
        self.printer: QPrinter | None = None
        panel = QFrame()
        panel.setObjectName("panel")
        box = QVBoxLayout(panel)
        box.setContentsMargins(32, 24, 32, 24)
        box.addWidget(self.title)
        box.addWidget(self.body)
        box.addWidget(self.note)
        box.addWidget(self.print_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.receipt: Receipt | None = None
        self.show_score = False
        self.reason = ""
        self.who: tuple[str, str] = ("", "")
        self.at: datetime | None = None
        self.retranslate()

    def show_receipt(
        self,
        receipt: Receipt,
        *,
        show_score: bool,
        reason: str = "",
        name: str = "",
        ticket: str = "",
        at: datetime | None = None,
    ) -> None:
        self.receipt, self.show_score, self.reason = receipt, show_score, reason
        self.who = (name, ticket)
        self.at = at or datetime.now()
        self.retranslate()

    def code(self) -> str:
        return verification_code(self.receipt.answer_hash) if self.receipt else ""

    def retranslate(self) -> None:
        self.print_button.setText(tr("打印回执", "Print the receipt"))
        receipt = self.receipt
        if receipt is None:
            return
        self.title.setText(self._title())
        self.body.setText(self._body(self._rows()))
        self.note.setText(self._note())

    def _title(self) -> str:
        return (
            tr("考试时间到，已自动交卷", "Time is up: submitted automatically")
            if self.reason == "time_up"
            else tr("已交卷", "Submitted")
        )

    def _note(self) -> str:
        return tr(
            "请记下校验码，举手示意监考员后离开座位。",
            "Note the check code, raise your hand and wait for the invigilator.",
        )

    def _rows(self) -> list[tuple[str, str]]:
        receipt = self.receipt
        assert receipt is not None
        name, ticket = self.who
        at = f"{self.at:%Y-%m-%d %H:%M:%S}" if self.at else ""
        rows = [
            (tr("姓名", "Name"), name),
            (tr("准考证号", "Ticket"), ticket),
            (tr("交卷时间", "Submitted at"), at),
            (
                tr("作答情况", "Answered"),
                tr(
                    f"已答 {receipt.answered} / {receipt.total} 题",
                    f"Answered {receipt.answered} of {receipt.total}",
                ),
            ),
        ]
        if self.show_score:
            rows.append(
                (
                    tr("客观题得分", "Score"),
                    tr(
                        f"{receipt.score:g} / {receipt.max_score:g}",
                        f"{receipt.score:g} of {receipt.max_score:g}",
                    ),
                )
            )
        return rows

    def _body(self, rows: list[tuple[str, str]]) -> str:
        table = "".join(
            f"<tr><td style='padding:4px 16px 4px 0'>{html.escape(k)}</td>"
            f"<td style='padding:4px 0'><b>{html.escape(v)}</b></td></tr>"
            for k, v in rows
            if v
        )
        return (
            f"<table>{table}</table>"
            f"<p>{html.escape(tr('答卷校验码', 'Answer check code'))}</p>"
            f"<p style='font-size:150%; font-family:monospace; letter-spacing:2px'>"
            f"<b>{html.escape(self.code())}</b></p>"
        )

    def printed(self) -> PrintedReceipt:
        """The receipt as it goes on paper, in the current language."""
        return PrintedReceipt(
            title=tr("考试交卷回执", "Exam submission receipt") + " · " + self._title(),
            rows=tuple(self._rows()),
            code_label=tr("答卷校验码", "Answer check code"),
            code=self.code(),
            note=self._note(),
        )

    def print_receipt(self) -> bool:
        """Qt's print dialog, then the print-friendly receipt; False if cancelled."""
        if self.receipt is None:
            return False
        return ask_and_print(self, self.printed(), self.printer)
