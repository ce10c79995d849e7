"""Operations on the admin screen: the inspection (巡检) as a readable page with PDF export,
the last backup with "back up now" and how to restore, the statistics with XLSX/PDF export;
and the automatic backups while the window is open.

Every job runs through `Operations` (off the GUI thread) with progress; the page opens in a
dialog (Esc closes it). `inspect()`, `back_up_to(folder)`, `show_stats()`, `export_report(path)`
are what the buttons call after their dialogs; tests call them directly.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.authz import Person, action_name
from examkiosk.core.backup import BackupResult, create_backup, last_backup
from examkiosk.core.backup_schedule import AutoBackup, load_schedule
from examkiosk.core.inspection import FAILURE, OK, WARNING, InspectionReport
from examkiosk.core.station import Station
from examkiosk.ui import theme
from examkiosk.ui.admin.progress import JobProgress
from examkiosk.ui.i18n import language as current_language
from examkiosk.ui.i18n import tr
from examkiosk.ui.ops import Job, Operations
from examkiosk.ui.widgets import Texts, button, label
from sync.exam_stats import ExamStats

COLOURS = {OK: theme.ADMIT, WARNING: theme.REVIEW, FAILURE: theme.REFUSE}
AUTO_BACKUP_POLL_MS = 60_000
# The admin screen's `guarded(action, (zh, en), then)`: asks the window's guard for a
# signed-in person allowed to do `action`, then calls `then(person)`.
Guarded = Callable[[str, tuple[str, str], Callable[[Any], None]], None]


def _no_guard(_action: str, _what: tuple[str, str], then: Callable[[Any], None]) -> None:
    then(None)


def report_html(report: InspectionReport) -> str:
    en = current_language().startswith("en")
    verdict = {OK: ("正常", "OK"), WARNING: ("有警告", "Warnings"), FAILURE: ("有故障", "FAILURE")}
    c = report.counts()
    rows = []
    for f in report.findings:
        colour = COLOURS[f.status]
        action = f.action_en if en else f.action_zh
        rows.append(
            f"<tr><td style='color:{colour};font-weight:bold'>{html.escape(f.status)}</td>"
            f"<td><b>{html.escape(f.title_en if en else f.title_zh)}</b><br>"
            f"{html.escape(f.detail)}"
            + (f"<br><span style='color:{colour}'>→ {html.escape(action)}</span>" if action else "")
            + "</td></tr>"
        )
    head = verdict[report.verdict][1 if en else 0]
    return (
        f"<h2 style='color:{COLOURS[report.verdict]}'>{html.escape(head)}</h2>"
        f"<p>{html.escape(report.station_id)} · {html.escape(report.at[:19])} · "
        f"{c[OK]} ok, {c[WARNING]} warnings, {c[FAILURE]} failures</p>"
        "<table cellpadding='4'>" + "".join(rows) + "</table>"
    )


def stats_html(stats: ExamStats) -> str:
    en = current_language().startswith("en")
    parts = []
    for table in stats.tables:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in table.headers)
        body = "".join(
            "<tr>"
            + "".join(f"<td>{'-' if v is None else html.escape(str(v))}</td>" for v in r)
            + "</tr>"
            for r in table.rows
        )
        title = table.title_en if en else table.title_zh
        parts.append(f"<h3>{html.escape(title)}</h3><table border='1' cellpadding='3'>"
                     f"<tr>{head}</tr>{body}</table>")  # fmt: skip
    return "".join(parts)


class AutoBackupTimer(QObject):
    """The station's automatic backups while the window is open: every minute, a backup when
    the schedule (`examkiosk backup schedule`) says one is due, on the database thread.
    `done` is emitted with each backup made."""

    done = Signal(object)  # BackupResult

    def __init__(self, station: Station, ops: Operations, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.station = station
        self.ops = ops
        self.data_dir = station.store.path.parent
        self.auto: AutoBackup | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(AUTO_BACKUP_POLL_MS)

    def tick(self) -> None:
        def work(job: Job) -> BackupResult | None:
            schedule = load_schedule(self.station)
            if schedule is None:
                self.auto = None
                return None
            if self.auto is None or self.auto.schedule != schedule:
                self.auto = AutoBackup(self.station, self.data_dir, schedule)
            return self.auto.run_if_due(time.monotonic())

        try:
            self.ops.run(work, lambda result: self.done.emit(result) if result else None)
        except RuntimeError:  # the window is closing and its workers are gone: stop asking
            self.timer.stop()


class PageDialog(QDialog):
    """A readable page (HTML) with export buttons; Esc closes it."""

    def __init__(self, title: str, page: str, exports: list[tuple[str, str, Callable[[], None]]],
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("operations_page")
        self.texts = Texts()
        self.page = QTextBrowser()
        self.page.setHtml(page)
        buttons = QHBoxLayout()
        for zh, en, action in exports:
            b = button(self.texts, zh, en, role="secondary")
            b.clicked.connect(action)
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = button(self.texts, "关闭", "Close", name="page_close")
        close.clicked.connect(self.accept)
        close.setDefault(True)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page, 1)
        layout.addLayout(buttons)
        self.resize(900, 640)


class OperationsPanel(QWidget):
    def __init__(
        self,
        station: Station,
        ops: Operations,
        parent: QWidget | None = None,
        *,
        guarded: Guarded | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("operations")
        self.station = station
        self.ops = ops
        self.data_dir = station.store.path.parent
        # Without a guard (tests of this panel alone) actions are recorded without a name.
        self.guarded: Guarded = guarded or _no_guard
        self.texts = Texts()
        self.report: InspectionReport | None = None
        self.stats: ExamStats | None = None
        self.page: PageDialog | None = None

        self.inspect_button = button(
            self.texts, "巡检", "Inspect", role="secondary", name="inspect"
        )
        self.inspect_button.clicked.connect(self.inspect)
        self.backup_button = button(self.texts, "立即备份…", "Back up now…", role="secondary",
                                    name="backup_now")  # fmt: skip
        self.backup_button.clicked.connect(self._choose_backup_folder)
        self.stats_button = button(self.texts, "统计", "Statistics", role="secondary", name="stats")
        self.stats_button.clicked.connect(self.show_stats)
        self.progress = JobProgress(ops, "operations")
        self.backup_info = QLabel()
        self.backup_info.setObjectName("backup_info")
        self.backup_info.setWordWrap(True)
        self.result = QLabel()
        self.result.setObjectName("operations_result")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        restore = label(
            self.texts,
            "恢复：examkiosk backup restore 备份文件 --data-dir 新目录（恢复口令 + 考点管理员登录；"
            "见 docs/operations.md 恢复演练）",
            "Restore: `examkiosk backup restore FILE --data-dir NEW` (recovery passphrase + "
            "a venue administrator's sign-in; docs/operations.md, restore drill)",
            role="muted",
        )
        restore.setToolTip(restore.text())
        # One compact row (the admin screen must fit 1366x768): the three actions, then what
        # is known of the backups and the last result beside them.
        facts = QVBoxLayout()
        facts.setSpacing(2)
        for widget in (self.result, self.backup_info, restore):
            facts.addWidget(widget)
        row = QHBoxLayout()
        for b in (self.inspect_button, self.backup_button, self.stats_button):
            row.addWidget(b)
        row.addLayout(facts, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        # The window may run its own AutoBackupTimer for every mode; this one covers the
        # admin screen on its own (a second timer finds nothing due: the schedule is shared).
        self.auto_backup = AutoBackupTimer(station, ops, self)
        self.auto_backup.done.connect(lambda _result: self.refresh())
        self.refresh()

    # -- actions ------------------------------------------------------------------------
    def refresh(self) -> None:
        self.ops.run(lambda job: (last_backup(self.station), load_schedule(self.station)),
                     self._show_backup)  # fmt: skip

    def inspect(self) -> None:
        def work(person: Person | None) -> None:
            from examkiosk.app.inspect_run import run_inspection

            self._start(
                tr("正在巡检……", "Inspecting…"),
                lambda job: run_inspection(self.data_dir, station=self.station, person=person),
                self._inspected,
            )

        self.authorize("inspect.run", work)

    def back_up_to(self, folder: Path) -> None:
        def work(person: Person | None) -> None:
            self._start(
                tr("正在备份……", "Backing up…"),
                lambda job: create_backup(self.station, self.data_dir, folder, by=person),
                self._backed_up,
            )

        self.authorize("backup.create", work)

    def show_stats(self) -> None:
        from examkiosk.core.stats import station_stats

        self.authorize("stats.view", lambda _person: self._start(
            tr("正在统计……", "Counting…"), lambda job: station_stats(self.station), self._counted
        ))  # fmt: skip

    def export_report(self, path: Path) -> None:
        from examkiosk.core.inspection_render import report_pdf

        report = self.report
        assert report is not None
        self._start(tr("正在导出……", "Exporting…"),
                    lambda job: report_pdf(report, path, current_language()),
                    lambda _p: self._say(f"PDF: {path}", theme.ADMIT))  # fmt: skip

    def export_stats(self, path: Path) -> None:
        from examkiosk.core.authz import audit
        from sync.stats_export import write_pdf, write_xlsx

        stats = self.stats
        assert stats is not None
        writer = write_xlsx if path.suffix.lower() == ".xlsx" else write_pdf

        def work(person: Person | None) -> None:
            def job_fn(job: Job) -> Path:
                heading = f"ExamKiosk {self.station.station_id}"
                writer(stats, path, heading=heading, lang=current_language())
                with self.station.store.transaction() as conn:
                    audit(self.station, conn, person, "stats.export", {"files": [path.name]})
                return path

            self._start(tr("正在导出……", "Exporting…"), job_fn,
                        lambda _p: self._say(str(path), theme.ADMIT))  # fmt: skip

        self.authorize("stats.export", work)

    def run_auto_backup(self) -> None:
        """What the timer does each minute (tests call it directly)."""
        self.auto_backup.tick()

    def retranslate(self) -> None:
        self.texts.apply()
        self.progress.retranslate()
        self.refresh()

    # -- plumbing -----------------------------------------------------------------------
    def authorize(self, action: str, then: Callable[[Person | None], None]) -> None:
        what = (action_name(action, "zh"), action_name(action, "en"))
        self.guarded(action, what, then)

    def _choose_backup_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self,
            tr("选择备份位置（第二块磁盘或U盘）", "Where to back up (second disk or USB drive)"),
        )
        if folder:
            self.back_up_to(Path(folder))

    def _start(self, text: str, work: Callable[[Job], Any], done: Callable[[Any], None]) -> None:
        for b in (self.inspect_button, self.backup_button, self.stats_button):
            b.setEnabled(False)
        self._say(text, theme.NEUTRAL)

        def finished(result: Any) -> None:
            self._idle()
            done(result)

        def failed(exc: BaseException) -> None:
            self._idle()
            zh, en = getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc))
            self._say(tr(zh, en), theme.REFUSE)

        self.progress.track(self.ops.run(work, finished, failed))

    def _idle(self) -> None:
        self.progress.finish()
        for b in (self.inspect_button, self.backup_button, self.stats_button):
            b.setEnabled(True)

    def _say(self, text: str, colour: str) -> None:
        self.result.setText(f"<span style='color:{colour}'>{html.escape(text)}</span>")

    def _show_backup(self, found: tuple[dict[str, Any] | None, Any]) -> None:
        last, schedule = found
        text = (
            tr(f"上次备份：{last['created_at'][:19]}，{last['path']}",
               f"Last backup: {last['created_at'][:19]}, {last['path']}")
            if last else tr("尚未备份。", "Never backed up.")
        )  # fmt: skip
        if schedule is not None:
            text += tr(f"；自动备份每 {schedule.every_minutes} 分钟到 {schedule.folder}",
                       f"; automatic every {schedule.every_minutes} min into {schedule.folder}")  # fmt: skip
        self.backup_info.setText(text)

    def _inspected(self, report: InspectionReport) -> None:
        self.report = report
        self._say(tr(f"巡检完成：{report.verdict}", f"Inspection done: {report.verdict}"),
                  COLOURS[report.verdict])  # fmt: skip
        self._open_page(tr("巡检报告", "Inspection report"), report_html(report),
                        [("导出 PDF…", "Export PDF…", lambda: self._save_as("pdf", self.export_report))])  # fmt: skip
        self.refresh()

    def _backed_up(self, result: BackupResult) -> None:
        self._say(tr(f"备份已写入并校验：{result.path}", f"Backup written and verified: {result.path}"),
                  theme.ADMIT)  # fmt: skip
        self.refresh()

    def _counted(self, stats: ExamStats) -> None:
        self.stats = stats
        self._say(tr("统计完成", "Statistics ready"), theme.ADMIT)
        self._open_page(tr("统计", "Statistics"), stats_html(stats), [
            ("导出 Excel…", "Export XLSX…", lambda: self._save_as("xlsx", self.export_stats)),
            ("导出 PDF…", "Export PDF…", lambda: self._save_as("pdf", self.export_stats)),
        ])  # fmt: skip

    def _open_page(
        self, title: str, page: str, exports: list[tuple[str, str, Callable[[], None]]]
    ) -> None:
        if self.page is not None:
            self.page.close()
        self.page = PageDialog(title, page, exports, self)
        self.page.setModal(False)
        self.page.show()

    def _save_as(self, suffix: str, save: Callable[[Path], None]) -> None:
        name, _ = QFileDialog.getSaveFileName(self, tr("保存为", "Save as"), f"report.{suffix}",
                                              f"*.{suffix}")  # fmt: skip
        if name:
            save(Path(name))
