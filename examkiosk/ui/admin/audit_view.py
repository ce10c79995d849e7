"""The audit viewer (审计记录): who did what and when, filtered by person, action and time,
exported to XLSX. Opened from the admin screen; reading and exporting are the venue
administrator's and are themselves audited (examkiosk.core.audit_log)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.audit_log import AuditEntry, audit_entries, export_xlsx
from examkiosk.core.authz import ACTIONS, Person, action_name
from examkiosk.core.station import Station
from examkiosk.ui.i18n import error_text, language, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button

# Actions recorded as audit.<name> beside the ACTIONS table's own names.
EXTRA_ACTIONS = (
    "signed_in",
    "signin_failed",
    "locked_out",
    "refused",
    "unlock_failed",
    "account_added",
    "account_disabled",
    "seat_signin_failed",
    "seat_locked",
    "seat_unlocked",
    "resume_code_issued",
    "bundle_exported",
    "sync_settings_changed",
    "roster_viewed",
    "audit_viewed",
)
COLUMNS = (
    ("时间", "Time"),
    ("工号", "Staff"),
    ("姓名", "Name"),
    ("操作", "Action"),
    ("详情", "Details"),
)


class AuditDialog(QDialog):
    def __init__(
        self,
        station: Station,
        ops: Operations,
        person: Person,
        guarded: Callable[[str, tuple[str, str], Callable[[Any], None]], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("audit_dialog")
        self.station = station
        self.ops = ops
        self.person = person
        self.guarded = guarded
        self.entries: list[AuditEntry] = []
        self.texts = Texts()
        self.texts.bind(self.setWindowTitle, "审计记录", "Audit trail")
        self.by = QLineEdit()
        self.by.setObjectName("audit_by")
        self.texts.bind(self.by.setPlaceholderText, "工号（全部）", "Staff number (all)")
        self.action = QComboBox()
        self.action.setObjectName("audit_action")
        self.action.addItem(tr("全部操作", "All actions"), "")
        for name in sorted(set(ACTIONS) | set(EXTRA_ACTIONS)):
            self.action.addItem(f"{name} · {action_name(name, language())}", name)
        now = QDateTime.currentDateTime()
        self.since = QDateTimeEdit(now.addDays(-7))
        self.until = QDateTimeEdit(now.addDays(1))
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.search = button(self.texts, "查询", "Search", role="primary", name="audit_search")
        self.search.setDefault(True)
        self.search.clicked.connect(self.load)
        self.export = button(self.texts, "导出 XLSX…", "Export XLSX…", name="audit_export")
        self.export.setAutoDefault(False)
        self.export.clicked.connect(self._choose_export)
        close = button(self.texts, "关闭", "Close", name="audit_close")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("audit_table")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel()
        self.status.setObjectName("audit_status")
        self.status.setWordWrap(True)
        filters = QHBoxLayout()
        filters.addWidget(self.by, 1)
        filters.addWidget(self.action, 2)
        filters.addWidget(self.since)
        filters.addWidget(self.until)
        filters.addWidget(self.search)
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.export)
        actions.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        self.texts.apply()
        self._headers()
        self.resize(1100, 600)

    def _headers(self) -> None:
        self.table.setHorizontalHeaderLabels([tr(zh, en) for zh, en in COLUMNS])

    def _filters(self) -> dict[str, str | None]:
        fmt = "yyyy-MM-ddTHH:mm:ss"
        return {
            "by": self.by.text().strip() or None,
            "action": str(self.action.currentData() or "") or None,
            "since": self.since.dateTime().toString(fmt),
            "until": self.until.dateTime().toString(fmt),
        }

    def load(self) -> None:
        """Search with the filters (off the GUI thread); the table shows the newest first."""
        filters = self._filters()
        self.search.setEnabled(False)

        def done(entries: list[AuditEntry]) -> None:
            self.search.setEnabled(True)
            self.show_entries(entries)

        def failed(exc: BaseException) -> None:
            self.search.setEnabled(True)
            self.status.setText(error_text(exc))

        self.ops.run(lambda _job: audit_entries(self.station, self.person, **filters), done, failed)

    def show_entries(self, entries: list[AuditEntry]) -> None:
        self.entries = entries
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            values = (e.wall_time[:19].replace("T", " "), e.by, e.by_name, e.action, e.details())
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.status.setText(tr(f"共 {len(entries)} 条", f"{len(entries)} entries"))

    def _choose_export(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            tr("导出审计记录", "Export the audit trail"),
            str(Path.home() / f"audit-{self.station.station_id}.xlsx"),
            "Excel (*.xlsx)",
        )
        if chosen:
            self.export_to(Path(chosen))

    def export_to(self, path: Path) -> None:
        entries = list(self.entries)

        def done(_path: Path) -> None:
            self.status.setText(tr(f"已导出：{path}", f"Exported: {path}"))

        def failed(exc: BaseException) -> None:
            self.status.setText(error_text(exc))

        self.ops.run(
            lambda _job: export_xlsx(self.station, self.person, entries, path), done, failed
        )
