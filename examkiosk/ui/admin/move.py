"""考生换机: moving an interrupted candidate to a spare seat, the way the core supports it
(`core/transfer.py`): on the old station, write the attempt to a signed, encrypted file on a
USB stick (the attempt stops there); on the spare, read that file (the candidate then signs
in there and continues with every answer and the time used). Both sides need a signed-in
invigilator (`attempt.move`), named in the events.

Each side is one store transaction and one small file (seconds at most), all or nothing: a
refused or failed move changes nothing, so there is a busy bar but nothing to cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.authz import Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.station import Station
from examkiosk.core.transfer import TransferInfo, export_attempt, import_attempt
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, card, label, start_folder

Guarded = Callable[[str, tuple[str, str], Callable[[Person], None]], None]


@dataclass(frozen=True)
class Movable:
    attempt_id: str
    seat: str
    name: str
    ticket: str
    elapsed_ms: int
    state: str  # "in_progress", or "transferred": written out already, may be written again


def movable(station: Station) -> list[Movable]:
    """Attempts in progress on this station (and frozen ones, whose file may be written
    again for a lost stick), by seat."""
    rows = station.store.query(
        "SELECT a.attempt_id, c.seat, c.name, c.ticket, a.elapsed_ms, a.state FROM attempts a "
        "JOIN candidates c USING (candidate_id) WHERE a.state IN ('in_progress', 'transferred') "
        "ORDER BY c.seat"
    )
    return [Movable(str(a), str(s), str(n), str(t), int(e), str(st)) for a, s, n, t, e, st in rows]


def _who(station: Station, info: TransferInfo) -> tuple[str, str]:
    rows = station.store.query(
        "SELECT name, ticket, seat FROM candidates WHERE candidate_id = ?", (info.candidate_id,)
    )
    return (str(rows[0][0]), str(rows[0][1])) if rows else ("", "")


class MovePanel(QWidget):
    moved = Signal()

    def __init__(
        self, station: Station, ops: Operations, guarded: Guarded, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("move")
        self.station = station
        self.ops = ops
        self.guarded = guarded
        self.texts = Texts()
        self.rows: list[Movable] = []

        self.attempts = QListWidget()
        self.attempts.setObjectName("move_attempts")
        self.attempts.currentRowChanged.connect(lambda _row: self._enable())
        self.export_button = button(
            self.texts, "写入U盘…（本机停止作答）", "Write to USB… (stops here)", name="move_export"
        )
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(self.choose_export)
        self.import_button = button(
            self.texts, "从U盘导入…", "Import from USB…", name="move_import"
        )
        self.import_button.setAutoDefault(False)
        self.import_button.clicked.connect(self.choose_import)
        self.busy = QProgressBar()
        self.busy.setObjectName("move_busy")
        self.busy.setRange(0, 0)  # one short all-or-nothing step: busy, nothing to cancel
        self.busy.setVisible(False)
        self.result = QLabel()
        self.result.setObjectName("move_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addWidget(
            label(
                self.texts,
                "座位机故障时，考生可换到备用机继续作答，已答内容和已用时间不变：\n"
                "① 在原考试机（本页上半部）选中考生，写入U盘，原考试机即停止该考生作答；\n"
                "② 把U盘拿到备用机，在备用机的“监考工具 → 考生换机”中从U盘导入；\n"
                "③ 考生在备用机上登录，继续作答。",
                "When a seat fails, the candidate continues on a spare station with every "
                "answer and the time used:\n"
                "1. on the old station (top half of this page), pick the candidate and write "
                "to USB: the old station stops their exam;\n"
                "2. take the stick to the spare station and import it there (Invigilator "
                "tools → Move a candidate);\n"
                "3. the candidate signs in at the spare station and carries on.",
            )
        )
        layout.addWidget(
            card(
                label(self.texts, "① 从本机转出", "1. Move out of this station", role="heading"),
                self.attempts,
                self.export_button,
            )
        )
        layout.addWidget(
            card(
                label(
                    self.texts,
                    "② 转入本机（备用机）",
                    "2. Move into this station (spare)",
                    role="heading",
                ),  # fmt: skip
                self.import_button,
            )
        )
        layout.addWidget(self.busy)
        layout.addWidget(self.result)
        layout.addStretch(1)
        self._enable()

    def reload(self) -> None:
        self.ops.run(lambda job: movable(self.station), self._show)

    def _show(self, rows: list[Movable]) -> None:
        self.rows = rows
        self.attempts.clear()
        for row in rows:
            minutes = row.elapsed_ms // 60_000
            out = row.state == "transferred"
            item = QListWidgetItem(
                tr(
                    f"{row.seat}  {row.name}  {row.ticket}  已用 {minutes} 分钟"
                    + ("  （已转出，U盘丢失时可重新写入）" if out else ""),
                    f"{row.seat}  {row.name}  {row.ticket}  {minutes} min used"
                    + ("  (moved out; may be written again for a lost stick)" if out else ""),
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, row.attempt_id)
            self.attempts.addItem(item)
        if not rows:
            empty = QListWidgetItem(tr("本机没有作答中的考生", "No attempt in progress here"))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.attempts.addItem(empty)
        self._enable()

    def selected(self) -> Movable | None:
        row = self.attempts.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _enable(self, busy: bool = False) -> None:
        self.busy.setVisible(busy)
        self.export_button.setEnabled(not busy and self.selected() is not None)
        self.import_button.setEnabled(not busy)

    # -- out of this station --
    def choose_export(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return

        def granted(person: Person) -> None:
            default = start_folder(writable=True) / f"{chosen.ticket}.eka"
            path, _ = QFileDialog.getSaveFileName(
                self,
                tr("把作答写入U盘", "Write the attempt to USB"),
                str(default),
                tr("作答转移文件 (*.eka)", "Attempt transfer file (*.eka)"),
            )
            if path:
                self.export_to(Path(path), chosen, person)

        self.guarded("attempt.move", ("考生换机", "Move a candidate"), granted)

    def export_to(self, path: Path, chosen: Movable, person: Person) -> None:
        self._enable(busy=True)
        self.result.clear()

        def done(info: TransferInfo) -> None:
            self._enable()
            self.result.setText(
                tr(
                    f"已写入并读回校验：{path}\n{chosen.name}（{chosen.ticket}）已答 {info.answers} 题，"
                    f"已用 {info.elapsed_ms // 60_000} 分钟。本机已停止该考生作答；"
                    f"请把U盘拿到备用机导入（{person.name} 操作，已记录）。",
                    f"Written and verified: {path}\n{chosen.name} ({chosen.ticket}): "
                    f"{info.answers} answered, {info.elapsed_ms // 60_000} min used. Their "
                    f"exam has stopped here; import the stick on the spare station (by "
                    f"{person.name}, recorded).",
                )
            )
            self.moved.emit()
            self.reload()

        self.ops.run(
            lambda job: export_attempt(
                ExamEngine(self.station), chosen.attempt_id, path, person=person
            ),
            done,
            self._failed,
        )

    # -- into this station --
    def choose_import(self) -> None:
        def granted(person: Person) -> None:
            path, _ = QFileDialog.getOpenFileName(
                self,
                tr("从U盘选择作答转移文件", "Choose the attempt file on the USB drive"),
                str(start_folder()),
                tr("作答转移文件 (*.eka)", "Attempt transfer file (*.eka)"),
            )
            if path:
                self.import_from(Path(path), person)

        self.guarded("attempt.move", ("考生换机", "Move a candidate"), granted)

    def import_from(self, path: Path, person: Person) -> None:
        self._enable(busy=True)
        self.result.clear()

        def work(_job: object) -> tuple[TransferInfo, tuple[str, str]]:
            info = import_attempt(ExamEngine(self.station), path, person=person)
            return info, _who(self.station, info)

        def done(result: tuple[TransferInfo, tuple[str, str]]) -> None:
            info, (name, ticket) = result
            self._enable()
            self.result.setText(
                tr(
                    f"已导入：{name}（{ticket}）来自 {info.source_station}，已答 {info.answers} 题，"
                    f"已用 {info.elapsed_ms // 60_000} 分钟。请考生在本机登录继续作答"
                    f"（{person.name} 操作，已记录）。",
                    f"Imported: {name} ({ticket}) from {info.source_station}, {info.answers} "
                    f"answered, {info.elapsed_ms // 60_000} min used. The candidate signs in "
                    f"here to carry on (by {person.name}, recorded).",
                )
            )
            self.moved.emit()
            self.reload()

        self.ops.run(work, done, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._enable()
        self.result.setText(error_text(exc))

    def retranslate(self) -> None:
        self.texts.apply()
        self._show(self.rows)
