"""The administrator's screen: station status, import an exam package, export a USB bundle.

`import_file(path)` and `export_to(path)` are what the buttons call after their file dialogs;
tests call them directly. Both run through `Operations` with progress and cancel, and leave
the store unchanged (import) or no file behind (export) when cancelled or refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from examkiosk.core.authz import Person
from examkiosk.core.errors import KioskError
from examkiosk.core.export import export_bundle
from examkiosk.core.package_import import (
    FaceEncoder,
    ImportCancelled,
    ImportSummary,
    import_package,
)
from examkiosk.core.station import Station
from examkiosk.ui import theme
from examkiosk.ui.admin.audit_view import AuditDialog
from examkiosk.ui.admin.invigilator import InvigilatorTools
from examkiosk.ui.admin.operations import OperationsPanel
from examkiosk.ui.admin.progress import JobProgress
from examkiosk.ui.admin.summary import StationSummary, station_summary
from examkiosk.ui.admin.sync_panel import SyncPanel, table
from examkiosk.ui.admin.update import UpdatePanel
from examkiosk.ui.background_sync import BackgroundSync
from examkiosk.ui.i18n import tr
from examkiosk.ui.ops import Job, Operations
from examkiosk.ui.widgets import Texts, button, card, label, start_folder
from sync.bundle import BundleInfo
from sync.errors import BundleCancelled
from sync.worker import SyncStatus


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KioskError(
            "无法读取所选文件。请检查U盘是否插好、文件是否完整，然后重试。",
            "The chosen file cannot be read. Check that the USB drive is plugged in and the "
            "file is complete, then try again.",
            detail=f"{type(exc).__name__}: {path}",
        ) from exc


class AdminScreen(QWidget):
    package_imported = Signal(object)  # ImportSummary
    bundle_exported = Signal(object)  # BundleInfo

    def __init__(
        self,
        station: Station,
        ops: Operations,
        face_encoder: FaceEncoder | None = None,
        parent: QWidget | None = None,
        background: BackgroundSync | None = None,
        guard: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        # Each privileged button asks the window's guard for a person whose role allows it
        # (None: a test driving the screen directly).
        self.guard = guard
        self.station = station
        self.ops = ops
        self.face_encoder = face_encoder
        self.texts = Texts()
        self.summary: StationSummary | None = None
        self._results: dict[str, tuple[str, str, str]] = {}

        self.info = QLabel()
        self.info.setObjectName("station_info")
        self.info.setTextFormat(Qt.TextFormat.RichText)

        self.import_button = button(
            self.texts, "导入考试包…", "Import exam package…", role="primary", name="import_package"
        )
        self.import_button.clicked.connect(self._choose_package)
        self.import_progress = JobProgress(ops, "import")
        self.import_result = self._result_label("import_result")
        self.export_button = button(
            self.texts,
            "导出同步包到U盘…",
            "Export bundle to USB…",
            role="primary",
            name="export_bundle",
        )
        self.export_button.clicked.connect(self._choose_bundle_file)
        self.export_progress = JobProgress(ops, "export")
        self.export_result = self._result_label("export_result")
        self.sync_panel = SyncPanel(station, ops, self.guarded, self.refresh, background)
        # The sync card's parts, by the names tests and older callers use.
        self.sync_info = self.sync_panel.sync_info
        self.sync_result = self.sync_panel.sync_result
        self.sync_button = self.sync_panel.sync_button
        self.sync_now = self.sync_panel.sync_now
        self.audit_button = button(
            self.texts, "审计记录…", "Audit trail…", role="secondary", name="audit_trail"
        )
        self.audit_button.clicked.connect(self.open_audit)
        self.audit_dialog: AuditDialog | None = None
        self.tools_button = button(self.texts, "监考工具…", "Invigilator tools…", name="tools")
        self.tools_button.clicked.connect(self.open_tools)  # issue 11: ui/admin/invigilator.py

        grid = QGridLayout(self)
        grid.setContentsMargins(12, 12, 12, 12)
        grid.setSpacing(12)
        grid.addWidget(
            card(
                label(self.texts, "本机信息", "This station", role="heading"),
                self.info,
                self.audit_button,
                self.tools_button,
                stretch=True,
            ),
            0,
            0,
        )
        grid.addWidget(self.sync_panel, 1, 0)
        grid.addWidget(
            card(
                label(self.texts, "导入考试包", "Import an exam package", role="heading"),
                label(
                    self.texts,
                    "考试包（.ekp）由省考试中心签名并加密，导入前自动核验；核验不通过则不做任何改动。",
                    "Exam packages (.ekp) are signed and encrypted by the exam centre and checked "
                    "before import; nothing changes if a check fails.",
                    role="muted",
                ),
                self.import_button,
                self.import_progress,
                self.import_result,
                stretch=True,
            ),
            0,
            1,
        )
        export_column = QVBoxLayout()  # issue 15: the update panel sits under the export
        export_column.setSpacing(12)
        export_column.addWidget(
            card(
                label(self.texts, "导出同步包", "Export a sync bundle", role="heading"),
                label(
                    self.texts,
                    "同步包（.ekb）含本机全部记录与抓拍，加密后只有考试中心能打开；写入后自动读回校验。",
                    "The bundle (.ekb) holds every record and snapshot of this station, encrypted so "
                    "only the exam centre can open it; it is read back and checked after writing.",
                    role="muted",
                ),
                self.export_button,
                self.export_progress,
                self.export_result,
                stretch=True,
            ),
            1,
        )
        self.update_panel = UpdatePanel(station, ops, self.guarded)
        export_column.addWidget(self.update_panel)
        grid.addLayout(export_column, 1, 1)
        grid.addWidget(card(OperationsPanel(station, ops, self, guarded=self.guarded)), 2, 0, 1, 2)
        for column in (0, 1):
            grid.setColumnStretch(column, 1)
        for row in (0, 1):
            grid.setRowStretch(row, 1)
        self.refresh()

    # -- actions ------------------------------------------------------------------------
    def refresh(self) -> None:
        self.ops.run(lambda job: station_summary(self.station), self._show_summary)

    def guarded(self, action: str, what: tuple[str, str], then: Callable[[Any], None]) -> None:
        """Run `then(person)` once the guard has a signed-in person allowed to do `action`."""
        if self.guard is None:
            then(None)
        else:
            self.guard.request(self, what, then, action)

    def open_tools(self) -> InvigilatorTools:
        tools = InvigilatorTools(self.station, self.ops, self.guard, parent=self)
        tools.changed.connect(self.refresh)  # an acknowledged incident: the count goes down
        tools.open()
        return tools

    def open_audit(self) -> None:
        self.guarded("audit.view", ("查看审计记录", "View the audit trail"), self.show_audit)

    def show_audit(self, person: Person | None) -> AuditDialog | None:
        if person is None:
            return None
        self.audit_dialog = AuditDialog(self.station, self.ops, person, parent=self)
        self.audit_dialog.open()
        self.audit_dialog.load()
        return self.audit_dialog

    def import_file(self, path: Path, by: Person | None = None) -> Job:
        def work(job: Job) -> ImportSummary:
            def report(done: int, total: int, _candidate: str) -> None:
                job.progress(
                    done,
                    total,
                    tr(
                        f"正在处理考生照片 {done}/{total}",
                        f"Reading candidate photos {done}/{total}",
                    ),
                )

            return import_package(
                self.station,
                _read(path),
                face_encoder=self.face_encoder,
                progress=report,
                cancelled=job.cancelled,
                by=by,
            )

        return self._start("import", work, self._imported)

    def export_to(self, path: Path, by: Person | None = None) -> Job:
        def work(job: Job) -> BundleInfo:
            def report(done: int, total: int) -> None:
                job.progress(done, total, tr(f"已写入 {done}/{total}", f"Written {done}/{total}"))

            return export_bundle(
                self.station, path, progress=report, cancelled=job.cancelled, by=by
            )

        return self._start("export", work, lambda info: self._exported(path, info))

    @property
    def live(self) -> SyncStatus | None:
        """The background sync's last status (None until it reports)."""
        return self.sync_panel.live

    def busy(self) -> bool:
        return self.import_progress.job is not None or self.export_progress.job is not None

    def retranslate(self) -> None:
        self.texts.apply()
        self.import_progress.retranslate()
        self.export_progress.retranslate()
        self.update_panel.retranslate()
        self.sync_panel.retranslate()
        for name, (zh, en, colour) in self._results.items():
            self._set_result(name, zh, en, colour)
        self._render_summary()

    # -- plumbing -----------------------------------------------------------------------
    def _start(
        self, name: str, work: Callable[[Job], object], done: Callable[[object], None]
    ) -> Job:
        progress = self.import_progress if name == "import" else self.export_progress
        self.import_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self._set_result(name, "", "", theme.NEUTRAL)

        def finished() -> None:
            progress.finish()
            self.import_button.setEnabled(True)
            self.export_button.setEnabled(True)

        def ok(result: object) -> None:
            finished()
            done(result)
            self.refresh()

        def failed(exc: BaseException) -> None:
            finished()
            if isinstance(exc, ImportCancelled | BundleCancelled):
                self._set_result(
                    name,
                    "已取消，本机数据和U盘均未改动。",
                    "Cancelled; nothing was changed.",
                    theme.NEUTRAL,
                )
            else:
                zh, en = getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc))
                self._set_result(name, zh, en, theme.REFUSE)

        job = self.ops.run(work, ok, failed)
        progress.track(job)
        return job

    def _imported(self, summary: object) -> None:
        assert isinstance(summary, ImportSummary)
        m = summary.meta
        failed = len(summary.faces_failed)
        self._set_result(
            "import",
            f"已导入 {m.exam_id} 第 {m.version} 版：考生 {summary.candidates} 人，试题 {summary.items} 道，"
            f"人脸编码 {summary.faces_encoded} 人"
            + (f"（{failed} 张照片无法使用）" if failed else ""),
            f"Imported {m.exam_id} version {m.version}: {summary.candidates} candidates, "
            f"{summary.items} items, {summary.faces_encoded} faces encoded"
            + (f" ({failed} photos unusable)" if failed else ""),
            theme.ADMIT,
        )
        self.package_imported.emit(summary)

    def _exported(self, path: Path, info: object) -> None:
        assert isinstance(info, BundleInfo)
        self._set_result(
            "export",
            f"已写入并读回校验：{path.name}（{info.event_count} 条记录，抓拍 {info.snapshot_count} 张）",
            f"Written and verified: {path.name} ({info.event_count} records, "
            f"{info.snapshot_count} snapshots)",
            theme.ADMIT,
        )
        self.bundle_exported.emit(info)

    def _choose_package(self) -> None:
        self.guarded(
            "package.import", ("导入考试包", "Import an exam package"), self._choose_package_as
        )

    def _choose_package_as(self, person: Person | None) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            tr("选择考试包", "Choose an exam package"),
            str(start_folder()),
            tr("考试包 (*.ekp)", "Exam package (*.ekp)"),
        )
        if chosen:
            self.import_file(Path(chosen), by=person)

    def _choose_bundle_file(self) -> None:
        self.guarded(
            "bundle.export", ("导出同步包", "Export a sync bundle"), self._choose_bundle_file_as
        )

    def _choose_bundle_file_as(self, person: Person | None) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        default = str(start_folder(writable=True) / f"{self.station.station_id}-{stamp}.ekb")
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            tr("保存同步包", "Save the bundle"),
            default,
            tr("同步包 (*.ekb)", "Sync bundle (*.ekb)"),
        )
        if chosen:
            self.export_to(Path(chosen), by=person)

    def _result_label(self, name: str) -> QLabel:
        widget = QLabel()
        widget.setObjectName(name)
        widget.setWordWrap(True)
        return widget

    def _set_result(self, name: str, zh: str, en: str, colour: str) -> None:
        self._results[name] = (zh, en, colour)
        widget = {"import": self.import_result, "export": self.export_result}[name]
        widget.setText(tr(zh, en))
        widget.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def _show_summary(self, summary: StationSummary) -> None:
        self.summary = summary
        self._render_summary()

    def _render_summary(self) -> None:
        s = self.summary
        if s is None:
            return
        mode = {
            "door": ("入口核验", "Door check-in"),
            "seat": ("考生座位", "Candidate seat"),
            "admin": ("考点管理", "Administration"),
        }.get(s.mode, (s.mode, s.mode))
        info = [
            (tr("工作站编号", "Station"), s.station_id),
            (tr("考点", "Venue"), s.venue_id),
            (tr("部署模式", "Provisioned as"), tr(*mode)),
            (tr("考试", "Exam"), s.exam_title or tr("尚未导入考试包", "no package imported yet")),
            (
                tr("场次", "Sitting"),
                f"{s.sitting_id}（v{s.package_version}）" if s.package_version else "—",
            ),
            (tr("考生 / 试题", "Candidates / items"), f"{s.candidates} / {s.items}"),
            (tr("已放行 / 已交卷", "Admitted / submitted"), f"{s.admitted} / {s.submitted}"),
        ]
        self.info.setText(table(info))
        waiting = s.unacknowledged_incidents
        self.tools_button.setText(
            tr(
                f"监考工具…（{waiting} 条监考事件待处理）",
                f"Invigilator tools… ({waiting} incidents to see)",
            )
            if waiting
            else tr("监考工具…", "Invigilator tools…")
        )
        self.sync_panel.show_summary(s)
