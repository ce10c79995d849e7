"""监考工具: what used to be command-line only, on screen, in three tabs: interrupted
candidates with their resume requests, issuing a resume code and releasing the sealed paper;
proctoring incidents with their snapshots (`incidents.py`); moving a candidate to a spare
station (`move.py`). Each action goes through the window's guard with its action name, and
the core call records who did it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.authz import Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.package_import import release_paper
from examkiosk.core.resume_issue import issue_resume_code
from examkiosk.core.station import Station
from examkiosk.ui.admin.incidents import IncidentsPanel
from examkiosk.ui.admin.move import MovePanel
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, card, label


def interrupted(station: Station) -> list[tuple[str, str, str, str]]:
    """(seat, name, ticket, resume request) of each attempt still in progress here."""
    engine = ExamEngine(station)
    rows = station.store.query(
        "SELECT a.attempt_id, c.seat, c.name, c.ticket FROM attempts a "
        "JOIN candidates c USING (candidate_id) WHERE a.state = 'in_progress' ORDER BY c.seat"
    )
    return [
        (str(seat), str(name), str(ticket), engine.resume_request(str(attempt_id)))
        for attempt_id, seat, name, ticket in rows
    ]


class InvigilatorTools(QDialog):
    changed = Signal()  # something the admin screen counts changed (incidents, attempts)

    def __init__(
        self, station: Station, ops: Operations, guard: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("invigilator_tools")
        self.station = station
        self.ops = ops
        self.guard = guard
        self.texts = Texts()
        self.texts.bind(self.setWindowTitle, "监考工具", "Invigilator tools")

        self.attempts = QListWidget()
        self.attempts.setObjectName("interrupted")
        self.attempts.itemActivated.connect(self._pick)
        self.attempts.itemClicked.connect(self._pick)
        self.ticket = QLineEdit()
        self.ticket.setObjectName("resume_ticket")
        self.texts.bind(self.ticket.setPlaceholderText, "准考证号", "Ticket")
        self.request = QLineEdit()
        self.request.setObjectName("resume_request")
        self.texts.bind(
            self.request.setPlaceholderText,
            "座位上显示的续考请求码（本机作答可不填）",
            "The request shown at the seat (optional for an attempt on this station)",
        )
        self.issue = button(self.texts, "生成续考码", "Issue a code", name="issue_code")
        self.issue.clicked.connect(self.issue_code)
        self.request.returnPressed.connect(self.issue_code)
        self.code = QLabel()
        self.code.setObjectName("resume_code")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code.setStyleSheet("font-size: 30px; font-weight: bold; letter-spacing: 4px;")
        self.code_note = QLabel()
        self.code_note.setWordWrap(True)

        self.password = QLineEdit()
        self.password.setObjectName("paper_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.texts.bind(
            self.password.setPlaceholderText, "开考时下发的试卷密码", "The paper's password"
        )
        self.release = button(self.texts, "启封试卷", "Release the paper", name="release_paper")
        self.release.clicked.connect(self.release_paper)
        self.password.returnPressed.connect(self.release_paper)
        self.release_result = QLabel()
        self.release_result.setObjectName("release_result")
        self.release_result.setWordWrap(True)

        close = button(self.texts, "关闭", "Close", name="tools_close")
        close.clicked.connect(self.reject)
        # No default button: Enter in a field does that field's action (returnPressed),
        # never another tab's button; Esc closes.
        for widget in (close, self.issue, self.release):
            widget.setAutoDefault(False)
        resume_row = QHBoxLayout()
        resume_row.addWidget(self.ticket, 1)
        resume_row.addWidget(self.request, 2)
        resume_row.addWidget(self.issue)
        release_row = QHBoxLayout()
        release_row.addWidget(self.password, 1)
        release_row.addWidget(self.release)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.addWidget(
            card(
                label(self.texts, "中断的考生与续考", "Interrupted candidates", role="heading"),
                label(
                    self.texts,
                    "作答中的考生及其续考请求码；点选一行填入下方。",
                    "Attempts in progress and their resume requests; pick one to fill in below.",
                    role="muted",
                ),
                self.attempts,
            )
        )
        resume = card(self.code, self.code_note)
        resume.layout().insertLayout(0, resume_row)  # type: ignore[union-attr]
        inner.addWidget(resume)
        paper = card(
            label(self.texts, "启封试卷", "Release the sealed paper", role="heading"),
            self.release_result,
        )
        paper.layout().insertLayout(1, release_row)  # type: ignore[union-attr]
        inner.addWidget(paper)
        self.incidents = IncidentsPanel(station, ops, self._guarded)
        self.incidents.changed.connect(self._incidents_changed)
        self.move_panel = MovePanel(station, ops, self._guarded)
        self.move_panel.moved.connect(self.reload)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tools_tabs")
        for page, name in (
            (body, "resume"),
            (self.incidents, "incidents"),
            (self.move_panel, "move"),
        ):
            scroll = QScrollArea()
            scroll.setObjectName(f"tools_{name}")
            scroll.setWidgetResizable(True)
            scroll.setWidget(page)
            self.tabs.addTab(scroll, "")
        self._retitle()
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(self._fitting(960, 700))
        self.reload()

    def _fitting(self, width: int, height: int) -> QSize:
        """The dialog's size, never larger than the screen (a 1366x768 laptop)."""
        screen = (self.parentWidget() or self).screen()
        available = screen.availableGeometry().size() if screen else QSize(width, height)
        return QSize(width, height).boundedTo(available - QSize(40, 60))

    def _retitle(self) -> None:
        waiting = self.incidents.waiting
        titles = (
            tr("续考与启封", "Resume and paper"),
            tr(f"监考事件（{waiting} 待处理）", f"Incidents ({waiting} waiting)")
            if waiting
            else tr("监考事件", "Incidents"),
            tr("考生换机", "Move a candidate"),
        )
        for index, title in enumerate(titles):
            self.tabs.setTabText(index, title)

    def _incidents_changed(self, _waiting: int) -> None:
        self._retitle()
        self.changed.emit()

    def show_tab(self, name: str) -> None:
        """ "resume", "incidents" or "move"."""
        self.tabs.setCurrentIndex(("resume", "incidents", "move").index(name))

    def reload(self) -> None:
        self.ops.run(lambda job: interrupted(self.station), self._show_attempts)
        self.incidents.reload()
        self.move_panel.reload()
        self.changed.emit()

    def retranslate(self) -> None:
        self.texts.apply()
        self.incidents.retranslate()
        self.move_panel.retranslate()
        self._retitle()

    def _show_attempts(self, rows: list[tuple[str, str, str, str]]) -> None:
        self.attempts.clear()
        for seat, name, ticket, request in rows:
            item = QListWidgetItem(f"{seat}  {name}  {ticket}  ·  {request}")
            item.setData(Qt.ItemDataRole.UserRole, (ticket, request))
            self.attempts.addItem(item)
        if not rows:
            self.attempts.addItem(tr("没有作答中的考生", "No attempt in progress"))

    def _pick(self, item: QListWidgetItem) -> None:
        picked = item.data(Qt.ItemDataRole.UserRole)
        if picked:
            ticket, request = picked
            self.ticket.setText(str(ticket))
            self.request.setText(str(request))

    def _guarded(self, action: str, what: tuple[str, str], then: Callable[[Person], None]) -> None:
        if self.guard is None:
            return
        guard = self.guard
        # Asked once the key event that pressed Enter in a field is over: opened at once,
        # the sign-in dialog (a child of this one) would have that same Enter press its
        # default button with empty fields, as QDialog passes an ignored Enter to every
        # default button among its children.
        QTimer.singleShot(0, lambda: guard.request(self, what, then, action))

    def issue_code(self) -> None:
        ticket = self.ticket.text().strip()
        request = self.request.text().strip() or None

        def granted(person: Person) -> None:
            self.ops.run(
                lambda job: issue_resume_code(self.station, person, ticket, request),
                lambda result: self._issued(result, person),
                lambda exc: self._failed(self.code_note, exc),
            )

        self._guarded("resume_code.issue", ("生成续考码", "Issue a resume code"), granted)

    def _issued(self, result: tuple[str, str], person: Person) -> None:
        request, code = result
        self.code.setText(code)
        self.code_note.setText(
            tr(
                f"请求码 {request} 的续考码，由 {person.name}（{person.staff_number}）生成并已记录。"
                "请在考生座位上输入。",
                f"Code for request {request}, issued by {person.name} ({person.staff_number}) "
                "and recorded. Type it at the candidate's seat.",
            )
        )

    def release_paper(self) -> None:
        password = self.password.text()

        def granted(person: Person) -> None:
            self.ops.run(
                lambda job: release_paper(self.station, password, by=person),
                lambda items: self._released(items, person),
                lambda exc: self._failed(self.release_result, exc),
            )

        self._guarded("paper.release", ("启封试卷", "Release the paper"), granted)

    def _released(self, items: int, person: Person) -> None:
        self.password.clear()
        self.release_result.setText(
            tr(
                f"试卷已启封：{items} 题（{person.name} 操作，已记录）。",
                f"The paper is open: {items} items (by {person.name}, recorded).",
            )
        )

    def _failed(self, where: QLabel, exc: BaseException) -> None:
        where.setText(error_text(exc))
