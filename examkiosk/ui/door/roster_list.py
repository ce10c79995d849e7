"""The sitting's check-in list: seat, admission ticket, name and state, searchable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.roster import CHECKIN_STATES, EXAM_STATES, RosterEntry
from examkiosk.ui.i18n import tr
from examkiosk.ui.widgets import Texts, label

CHECKIN_COLOURS = {"admitted": "#dff3e4", "refused": "#f9dedc"}
CHECKIN_TEXT = {k: (zh, en, CHECKIN_COLOURS.get(k)) for k, (zh, en) in CHECKIN_STATES.items()}
EXAM_TEXT = EXAM_STATES


class RosterList(QWidget):
    """Shows `RosterEntry` rows; the owner loads them (off the GUI thread) and calls `show_entries`."""

    COLUMNS = (
        ("座位", "Seat"),
        ("准考证号", "Ticket"),
        ("姓名", "Name"),
        ("签到", "Check-in"),
        ("作答", "Exam"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = Texts()
        self.title = label(self.texts, "签到名单", "Check-in list", role="heading")
        self.search = QLineEdit()
        self.search.setObjectName("roster_search")
        self.texts.bind(
            self.search.setPlaceholderText, "搜索准考证号或姓名", "Search ticket or name"
        )
        self.search.textChanged.connect(self._filter)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("roster_table")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        header = self.table.horizontalHeader()
        # Sized once per fill (`resizeColumnsToContents`), not per cell: ResizeToContents
        # re-measured every row at each setItem, and 2,000 candidates froze the door.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Names are never elided ("陈…" is useless at the door): the last column takes the slack.
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(40)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(False)
        self.count = QLabel()
        self.count.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self._entries: list[RosterEntry] = []
        self.retranslate()

    def show_entries(self, entries: list[RosterEntry]) -> None:
        """Show `entries`; when they are the same candidates as shown (the live refresh),
        only the cells whose state changed are touched."""
        same = [e.candidate.candidate_id for e in entries] == [
            e.candidate.candidate_id for e in self._entries
        ]
        previous = self._entries
        self._entries = entries
        self.table.setUpdatesEnabled(False)
        try:
            if not same:
                self.table.clearContents()
                self.table.setRowCount(len(entries))
            for row, entry in enumerate(entries):
                if same and previous[row] == entry and self.table.item(row, 0) is not None:
                    continue
                self._fill_row(row, entry)
            if not same:
                self.table.resizeColumnsToContents()
        finally:
            self.table.setUpdatesEnabled(True)
        admitted = sum(1 for e in entries if e.checkin == "admitted")
        self.count.setText(
            tr(f"已放行 {admitted} / {len(entries)} 人", f"Admitted {admitted} of {len(entries)}")
        )
        self._filter(self.search.text())

    def _fill_row(self, row: int, entry: RosterEntry) -> None:
        zh, en, colour = CHECKIN_TEXT.get(entry.checkin, (entry.checkin, entry.checkin, None))
        exam_zh, exam_en = EXAM_TEXT.get(entry.exam, (entry.exam, entry.exam))
        c = entry.candidate
        for column, text in enumerate((c.seat, c.ticket, c.name, tr(zh, en), tr(exam_zh, exam_en))):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, c.candidate_id)
            if colour:
                item.setBackground(QColor(colour))
            self.table.setItem(row, column, item)

    def entries(self) -> list[RosterEntry]:
        return list(self._entries)

    def visible_rows(self) -> int:
        return sum(1 for r in range(self.table.rowCount()) if not self.table.isRowHidden(r))

    def retranslate(self) -> None:
        self.texts.apply()
        self.table.setHorizontalHeaderLabels([tr(zh, en) for zh, en in self.COLUMNS])
        if self._entries:
            entries, self._entries = self._entries, []
            self.show_entries(entries)  # every row again, in the new language

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row, entry in enumerate(self._entries):
            c = entry.candidate
            hit = (
                not needle
                or needle in c.ticket.lower()
                or needle in c.name.lower()
                or needle == c.seat
            )
            self.table.setRowHidden(row, not hit)
