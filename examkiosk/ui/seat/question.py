"""The question screen: one item, the navigation grid, the remaining time, always.

An answer is shown as saved (grid colour, "已保存") only when its commit returned on the
database thread; until then the status says "saving". Every action has a key:
A-E or 1-9 choose, F flags, Delete clears, ←/→ (or PageUp/PageDown) move, R reviews.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.exam import ExamEngine, SeatState
from examkiosk.core.exam_errors import AttemptClosed, SessionMoved, TimeUp
from examkiosk.core.paper import Item
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat.item_view import ItemView
from examkiosk.ui.seat.nav_grid import NavGrid
from examkiosk.ui.seat.proctor_view import CameraIndicator
from examkiosk.ui.seat.style import palette

LOW_TIME_MS = 5 * 60_000  # the timer turns red


def format_remaining(ms: int) -> str:
    seconds = max(0, ms) // 1000
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class QuestionPage(QWidget):
    review_requested = Signal()
    time_up = Signal(object)  # the Receipt
    closed = Signal(object)  # the error that ended this seat's session

    def __init__(self, engine: ExamEngine, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.ops = ops
        self.state: SeatState | None = None
        self.items: list[Item] = []
        self.index = 0
        self.committed: dict[str, list[str]] = {}
        self.flags: set[str] = set()
        self.locked: frozenset[str] = frozenset()
        self.saving = 0
        self._pending_section_move: int | None = None

        self.title = QLabel()
        self.title.setProperty("role", "heading")
        self.who = QLabel()
        self.who.setProperty("role", "muted")
        self.camera = CameraIndicator()  # shown only while proctoring snapshots run
        self.remaining = QLabel()
        self.remaining.setObjectName("remaining")
        self.remaining.setProperty("role", "timer")
        self.remaining_caption = QLabel()
        self.font_smaller = QPushButton("A−")
        self.font_bigger = QPushButton("A+")
        self.contrast = QPushButton()
        self.contrast.setObjectName("contrast")
        top = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self.title)
        names.addWidget(self.who)
        names.addWidget(self.camera)
        top.addLayout(names, 1)
        for widget in (
            self.font_smaller,
            self.font_bigger,
            self.contrast,
            self.remaining_caption,
            self.remaining,
        ):
            top.addWidget(widget)

        self.warning = QLabel()
        self.warning.setObjectName("warning")
        self.warning.setProperty("role", "warning")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.lock_confirm = QFrame()
        self.lock_confirm.setObjectName("panel")
        self.lock_text = QLabel()
        self.lock_text.setWordWrap(True)
        self.lock_yes = QPushButton()
        self.lock_yes.setObjectName("leave_section")
        self.lock_no = QPushButton()
        confirm_row = QHBoxLayout(self.lock_confirm)
        confirm_row.addWidget(self.lock_text, 1)
        confirm_row.addWidget(self.lock_no)
        confirm_row.addWidget(self.lock_yes)
        self.lock_confirm.hide()

        self.section = QLabel()
        self.section.setObjectName("section_title")
        self.view = ItemView()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.view)
        self.grid = NavGrid()
        self.grid.setMinimumWidth(220)  # the grid reflows its columns to the width it gets
        self.legend = QLabel()
        self.legend.setProperty("role", "muted")
        self.legend.setWordWrap(True)
        self.legend.setObjectName("legend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        side = QVBoxLayout()
        side.addWidget(self.legend)
        side.addWidget(self.grid, 1)
        middle = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.section)
        left.addWidget(scroll, 1)
        middle.addLayout(left, 3)
        middle.addLayout(side, 2)

        self.prev = QPushButton()
        self.prev.setObjectName("prev")
        self.flag = QPushButton()
        self.flag.setObjectName("flag")
        self.clear = QPushButton()
        self.clear.setObjectName("clear")
        self.next = QPushButton()
        self.next.setObjectName("next")
        self.review = QPushButton()
        self.review.setObjectName("review")
        self.review.setProperty("role", "primary")
        self.status = QLabel()
        self.status.setObjectName("save_status")
        bottom = QHBoxLayout()
        for widget in (self.prev, self.flag, self.clear, self.next):
            bottom.addWidget(widget)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.review)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.lock_confirm)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)

        self.prev.clicked.connect(lambda: self.go_to(self.index - 1))
        self.next.clicked.connect(lambda: self.go_to(self.index + 1))
        self.flag.clicked.connect(self.toggle_flag)
        self.clear.clicked.connect(self.view.clear)
        self.review.clicked.connect(self.review_requested)
        self.grid.chosen.connect(self.go_to)
        self.view.answer_changed.connect(self._save)
        self.lock_yes.clicked.connect(self._confirm_leave)
        self.lock_no.clicked.connect(self._cancel_leave)
        self._keys()
        self.retranslate()

    def _keys(self) -> None:
        def bind(keys: str, action: Callable[[], Any]) -> None:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)

        for key in ("Right", "PgDown", "N"):
            bind(key, lambda: self.go_to(self.index + 1))
        for key in ("Left", "PgUp", "P"):
            bind(key, lambda: self.go_to(self.index - 1))
        bind("Home", lambda: self.go_to(0))
        bind("End", lambda: self.go_to(len(self.items) - 1))
        bind("F", self.toggle_flag)
        bind("Delete", self.view.clear)
        bind("Backspace", self.view.clear)
        bind("R", self.review_requested.emit)
        for n, letter in enumerate("ABCDE"):
            bind(letter, lambda n=n: self.view.choose(n))
        for n in range(9):
            bind(str(n + 1), lambda n=n: self.view.choose(n))

    def retranslate(self) -> None:
        self.remaining_caption.setText(tr("剩余时间", "Time left"))
        self.contrast.setText(tr("高对比度", "High contrast"))
        self.prev.setText(tr("← 上一题", "← Previous"))
        self.next.setText(tr("下一题 →", "Next →"))
        self.flag.setText(tr("标记 (F)", "Flag (F)"))
        self.clear.setText(tr("清除答案", "Clear"))
        self.review.setText(tr("检查并交卷 (R)", "Review & submit (R)"))
        self.camera.retranslate()
        self.lock_yes.setText(tr("确认进入下一部分", "Go to the next part"))
        self.lock_no.setText(tr("留在本部分", "Stay here"))
        self._render_legend()
        if self.items:
            self._show(self.index)

    def set_high_contrast(self, on: bool) -> None:
        self._high_contrast = on
        self._render_legend()

    def _render_legend(self) -> None:
        """Swatches in the grid's own colours (they differ in high contrast), each named."""
        colours = palette(getattr(self, "_high_contrast", False))

        def swatch(fill: str, text: str, ring: str = "") -> str:
            # A filled square in the grid's colour; an outlined one where the fill is the
            # page's own colour (unanswered in high contrast is black on black).
            mark, colour = ("□", ring) if ring else ("■", fill)
            return (
                f"<span style='color:{colour}; font-size:130%'>{mark}</span>"
                f"&nbsp;{html.escape(text)}"
            )

        parts = [
            swatch(colours["answered"], tr("已作答", "answered")),
            swatch(colours["flagged"], tr("已标记⚑", "flagged ⚑")),
            swatch(colours["unanswered"], tr("未作答", "unanswered"), colours["unanswered_text"]),
            f"<span style='color:{colours['current']}'><b>▢</b></span>&nbsp;"
            + html.escape(tr("当前题", "this item")),
        ]
        self.legend.setText("&nbsp;&nbsp; ".join(parts))

    # -- loading and drawing --

    def load(self, state: SeatState) -> None:
        self.state = state
        self.items = state.paper.items()
        self.committed = {k: v for k, v in state.answers.items()}
        self.flags = set(state.flags)
        self.locked = state.locked_sections
        self.title.setText(state.settings.title)
        self.who.setText(f"{state.candidate.name}　{tr('座位', 'Seat')} {state.candidate.seat}")
        self.grid.build(len(self.items))
        for n in range(len(self.items)):
            self._refresh_cell(n)
        ids = [i.item_id for i in self.items]
        start = ids.index(state.current_item) if state.current_item in ids else 0
        if self.items[start].section_id in self.locked:
            start = next(
                (n for n, i in enumerate(self.items) if i.section_id not in self.locked), 0
            )
        self._show(start)
        self.set_remaining(state.attempt.remaining_ms)

    def _refresh_cell(self, n: int) -> None:
        item_id = self.items[n].item_id
        self.grid.set_state(n, bool(self.committed.get(item_id)), item_id in self.flags)

    def _show(self, n: int) -> None:
        assert self.state is not None
        self.index = n
        item = self.items[n]
        section = self.state.paper.sections[self.state.paper.section_index(item.item_id)]
        self.section.setText(section.title)
        self.view.show_item(
            item,
            n + 1,
            self.committed.get(item.item_id, []),
            item.section_id in self.locked,
            self._group_numbers(n),
        )
        self.grid.set_current(n)
        self.prev.setEnabled(n > 0)
        self.next.setEnabled(n < len(self.items) - 1)
        self.flag.setText(
            tr("取消标记 (F)", "Unflag (F)")
            if item.item_id in self.flags
            else tr("标记 (F)", "Flag (F)")
        )
        self.view.focus_first()

    def _group_numbers(self, n: int) -> tuple[int, int] | None:
        """The 1-based numbers of the first and last item sharing item n's group."""
        group = self.items[n].group
        if group is None:
            return None
        same = [
            k for k, i in enumerate(self.items) if i.group and i.group.group_id == group.group_id
        ]
        return same[0] + 1, same[-1] + 1

    def set_remaining(self, ms: int) -> None:
        self.remaining.setText(format_remaining(ms))
        low = ms < LOW_TIME_MS
        role = "timer_low" if low else "timer"
        if self.remaining.property("role") != role:
            self.remaining.setProperty("role", role)
            self.remaining.style().unpolish(self.remaining)
            self.remaining.style().polish(self.remaining)

    def show_warning(self, text: str) -> None:
        self.warning.setText(text)
        self.warning.show()

    # -- navigation --

    def go_to(self, n: int) -> None:
        if not self.items or not 0 <= n < len(self.items) or n == self.index or self.state is None:
            return
        target, here = self.items[n], self.items[self.index]
        if target.section_id in self.locked:
            self.status.setText(tr("该部分已锁定，不能返回。", "That part is locked."))
            return
        paper = self.state.paper
        here_section = paper.sections[paper.section_index(here.item_id)]
        if paper.section_index(target.item_id) > paper.section_index(here.item_id) and (
            here_section.lock_on_leave
        ):
            self._pending_section_move = n
            self.lock_text.setText(
                tr(
                    f"离开“{here_section.title}”后将不能返回修改。确定进入下一部分吗？",
                    f"After leaving “{here_section.title}” you cannot come back. Go on?",
                )
            )
            self.lock_confirm.show()
            self.lock_no.setFocus()
            return
        self._move(n)

    def _confirm_leave(self) -> None:
        n, self._pending_section_move = self._pending_section_move, None
        self.lock_confirm.hide()
        if n is not None:
            self._move(n)

    def _cancel_leave(self) -> None:
        self._pending_section_move = None
        self.lock_confirm.hide()
        self.view.focus_first()

    def _move(self, n: int) -> None:
        assert self.state is not None
        attempt_id, item_id = self.state.attempt.attempt_id, self.items[n].item_id
        self._show(n)

        def moved(locked: frozenset[str]) -> None:
            if locked != self.locked:
                self.locked = locked
                self._show(self.index)

        self.ops.run(lambda job: self.engine.move_to(attempt_id, item_id), moved, self._failed)

    # -- answers and flags --

    def _save(self, answer: list[str]) -> None:
        assert self.state is not None
        attempt_id, item = self.state.attempt.attempt_id, self.items[self.index]
        self.saving += 1
        self.status.setProperty("role", "")
        self.status.setText(tr("正在保存…", "Saving…"))

        def saved(_seq: int) -> None:
            self.saving -= 1
            self.committed[item.item_id] = answer
            self._refresh_cell(self.items.index(item))
            if self.saving == 0:
                self.status.setText(
                    tr(f"已保存 ✓ {datetime.now():%H:%M:%S}", f"Saved ✓ {datetime.now():%H:%M:%S}")
                )

        def failed(exc: BaseException) -> None:
            self.saving -= 1
            if self.items[self.index] is item:
                self.view.set_answer(self.committed.get(item.item_id, []))
            self._failed(exc)

        self.ops.run(
            lambda job: self.engine.save_answer(attempt_id, item.item_id, answer), saved, failed
        )

    def toggle_flag(self) -> None:
        if self.state is None or not self.items:
            return
        attempt_id, item = self.state.attempt.attempt_id, self.items[self.index]
        flagged = item.item_id not in self.flags

        def done(_: None) -> None:
            (self.flags.add if flagged else self.flags.discard)(item.item_id)
            n = self.items.index(item)
            self._refresh_cell(n)
            if n == self.index:
                self.flag.setText(
                    tr("取消标记 (F)", "Unflag (F)") if flagged else tr("标记 (F)", "Flag (F)")
                )

        self.ops.run(
            lambda job: self.engine.set_flag(attempt_id, item.item_id, flagged), done, self._failed
        )

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, TimeUp):
            self.time_up.emit(exc.receipt)
        elif isinstance(exc, SessionMoved | AttemptClosed):
            self.closed.emit(exc)
        else:
            self.status.setProperty("role", "error")
            self.status.setText(error_text(exc))
