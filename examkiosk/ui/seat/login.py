"""Before the questions: login (tap the ID card, or ticket + ID number), confirm name and
photo, resume code."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from examkiosk.ui.i18n import tr
from examkiosk.ui.widgets import PhotoBox, pixmap_from_bytes


def _panel(*widgets: QWidget) -> QWidget:
    from PySide6.QtWidgets import QFrame

    frame = QFrame()
    frame.setObjectName("panel")
    frame.setMaximumWidth(720)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(32, 28, 32, 28)
    layout.setSpacing(14)
    for widget in widgets:
        layout.addWidget(widget)
    return frame


def _centered(parent: QWidget, panel: QWidget) -> None:
    layout = QVBoxLayout(parent)
    layout.addStretch(1)
    layout.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(2)


def _heading(text: str) -> QLabel:
    widget = QLabel(text)
    widget.setProperty("role", "heading")
    widget.setWordWrap(True)
    return widget


class LoginPage(QWidget):
    submitted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _heading("")
        # Shown when the seat has a card reader: tapping the card checked in at the door is
        # the first way in; the fields below stay as the fallback.
        self.card = QLabel()
        self.card.setObjectName("card_status")
        self.card.setProperty("role", "heading")
        self.card.setWordWrap(True)
        self.card.setVisible(False)
        self.card_state = "none"  # "none": no reader; "ready"; "unavailable": not answering
        self.ticket = QLineEdit()
        self.ticket.setObjectName("ticket")
        self.id_number = QLineEdit()
        self.id_number.setObjectName("id_number")
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.login = QPushButton()
        self.login.setObjectName("login")
        self.login.setProperty("role", "primary")
        self.hint = QLabel()
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        for field in (self.ticket, self.id_number):
            field.returnPressed.connect(self._submit)
        self.login.clicked.connect(self._submit)
        panel = _panel(
            self.title, self.card, self.ticket, self.id_number, self.login, self.error, self.hint
        )
        # A fixed width: a centred panel's wrapped labels are otherwise given the height
        # they would need at the page's full width (one line), and the card prompt, two
        # lines at the heading size, is cut in half.
        panel.setFixedWidth(640)
        _centered(self, panel)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("考生登录", "Candidate login"))
        self.ticket.setPlaceholderText(tr("准考证号", "Admission ticket number"))
        self.id_number.setPlaceholderText(tr("身份证件号码", "ID document number"))
        self.login.setText(tr("登录", "Log in"))
        self.card.setText(
            tr(
                "请将入口核验时使用的身份证件放在读卡器上登录",
                "Place the ID document you were checked in with on the card reader",
            )
        )
        hints = {
            "ready": (
                "也可输入准考证号和证件号码后按回车键；Tab 键在输入框之间切换。",
                "Or type your admission ticket and ID number and press Enter; Tab moves "
                "between the fields.",
            ),
            "unavailable": (
                "读卡器暂不可用：请输入准考证号和证件号码后按回车键。",
                "The card reader is not available: type your admission ticket and ID number "
                "and press Enter.",
            ),
        }
        zh, en = hints.get(
            self.card_state,
            (
                "输入后按回车键；Tab 键在输入框之间切换。",
                "Press Enter when done; Tab moves between the fields.",
            ),
        )
        self.hint.setText(tr(zh, en))

    def set_card_state(self, state: str) -> None:
        """ "ready": a reader waits for the candidate's card (the prompt shows); "unavailable":
        the configured reader does not answer (the typed way is offered instead); "none"."""
        if state == self.card_state:
            return  # the reader answers every fraction of a second: nothing to redo
        self.card_state = state
        self.card.setVisible(state == "ready")
        self.retranslate()

    @property
    def busy(self) -> bool:
        """A sign-in (typed or by card) is being checked."""
        return not self.login.isEnabled()

    def card_checking(self) -> None:
        self.login.setEnabled(False)
        self.error.setText(tr("已读取证件，正在核对……", "Card read: checking…"))

    def reset(self, error: str = "") -> None:
        self.error.setText(error)
        self.id_number.clear()
        self.login.setEnabled(True)
        self.ticket.setFocus()

    def _submit(self) -> None:
        if not self.ticket.text().strip() or not self.id_number.text().strip():
            self.error.setText(
                tr("请输入准考证号和证件号码。", "Enter the admission ticket and ID number.")
            )
            return
        self.login.setEnabled(False)
        self.error.setText(tr("正在核对…", "Checking…"))
        self.submitted.emit(self.ticket.text().strip(), self.id_number.text().strip())


class ConfirmPage(QWidget):
    confirmed = Signal()
    rejected = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _heading("")
        self.photo = PhotoBox(180, 240)
        self.name = QLabel()
        self.name.setObjectName("candidate_name")
        self.name.setProperty("role", "heading")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.yes = QPushButton()
        self.yes.setObjectName("confirm")
        self.yes.setProperty("role", "primary")
        self.no = QPushButton()
        self.no.setObjectName("not_me")
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.yes.clicked.connect(self._confirm)
        self.no.clicked.connect(self.rejected)
        who = QWidget()
        row = QHBoxLayout(who)
        row.addWidget(self.photo)
        text = QVBoxLayout()
        text.addWidget(self.name)
        text.addWidget(self.details)
        text.addStretch(1)
        row.addLayout(text, 1)
        buttons = QWidget()
        button_row = QHBoxLayout(buttons)
        button_row.addWidget(self.no)
        button_row.addWidget(self.yes)
        _centered(self, _panel(self.title, who, buttons, self.error))
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("请确认本人信息", "Please confirm this is you"))
        self.yes.setText(tr("是本人，开始/继续考试", "This is me: start or continue"))
        self.no.setText(tr("不是本人", "This is not me"))

    def show_candidate(self, name: str, ticket: str, seat: str, photo: bytes | None) -> None:
        self.name.setText(name)
        self.details.setText(
            tr(f"准考证号：{ticket}\n座位号：{seat}", f"Ticket: {ticket}\nSeat: {seat}")
        )
        self.photo.show_pixmap(pixmap_from_bytes(photo), tr("无照片", "No photo"))
        self.error.clear()
        self.yes.setEnabled(True)
        self.yes.setFocus()

    def _confirm(self) -> None:
        if not self.yes.isEnabled():
            return  # already confirmed: a second Enter must not start twice
        self.yes.setEnabled(False)
        self.confirmed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter confirms, Esc is "not me", wherever the focus is on this page (a candidate
        # who signed in by card has not touched the keyboard yet).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.no.hasFocus():  # Enter on a focused button means that button
                self.rejected.emit()
            else:
                self._confirm()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.rejected.emit()
            return
        super().keyPressEvent(event)


class ResumeCodePage(QWidget):
    """Shown after a long outage: the invigilator types the resume code (续考码)."""

    submitted = Signal(str, str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _heading("")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.request = QLabel()
        self.request.setObjectName("resume_request")
        self.request.setProperty("role", "heading")
        self.code = QLineEdit()
        self.code.setObjectName("resume_code")
        self.invigilator = QLineEdit()
        self.invigilator.setObjectName("invigilator")
        self.go = QPushButton()
        self.go.setObjectName("resume")
        self.go.setProperty("role", "primary")
        self.back = QPushButton()
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.go.clicked.connect(self._submit)
        self.code.returnPressed.connect(self._submit)
        self.back.clicked.connect(self.cancelled)
        _centered(
            self,
            _panel(
                self.title,
                self.message,
                self.request,
                self.invigilator,
                self.code,
                self.go,
                self.back,
                self.error,
            ),
        )
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("需要监考员续考授权", "The invigilator must authorise resuming"))
        self.code.setPlaceholderText(tr("续考码（8位数字）", "Resume code (8 digits)"))
        self.invigilator.setPlaceholderText(tr("监考员姓名或工号", "Invigilator name or number"))
        self.go.setText(tr("继续考试", "Continue the exam"))
        self.back.setText(tr("返回登录", "Back to login"))

    def ask(self, message: str, request: str) -> None:
        self.message.setText(message)
        self.request.setText(tr(f"续考请求码：{request}", f"Request: {request}"))
        self.code.clear()
        self.error.clear()
        self.go.setEnabled(True)
        self.invigilator.setFocus()

    def _submit(self) -> None:
        if not self.code.text().strip():
            return
        self.go.setEnabled(False)
        self.submitted.emit(self.code.text().strip(), self.invigilator.text().strip())
