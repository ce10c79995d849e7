"""监考事件: the proctoring incidents this station recorded, newest first, each with its
snapshot (a thumbnail in the list, enlarged on request), and their acknowledgement with a
note (`incident.acknowledge`, through the guard; the core audits it with the person's name).
The count still waiting shows at the top and on the tab.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.authz import Person
from examkiosk.core.proctor_incidents import Incident, acknowledge, incidents, snapshot_jpeg
from examkiosk.core.station import Station
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import PhotoBox, Texts, button, label, pixmap_from_bytes

Guarded = Callable[[str, tuple[str, str], Callable[[Person], None]], None]

# The list shows the newest incidents; an exam day has a few dozen, a bound keeps a
# runaway camera from filling the screen (and the memory) with thousands of pictures.
MAX_LISTED = 300
THUMB = QSize(96, 72)

KIND_NAMES: dict[str, tuple[str, str]] = {
    "absent": ("座位无人", "Nobody at the seat"),
    "different_person": ("人脸不一致", "Another face"),
    "several_faces": ("多人", "Several faces"),
    "camera_unavailable": ("摄像头无画面", "No camera picture"),
}

Listed = list[tuple[Incident, bytes | None]]


def load(station: Station) -> Listed:
    """The newest MAX_LISTED incidents, newest first, each with its snapshot (database
    thread)."""
    found = incidents(station)[-MAX_LISTED:][::-1]
    return [
        (i, snapshot_jpeg(station, i.snapshot_id) if i.snapshot_id is not None else None)
        for i in found
    ]


def _time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return stamp[:19]


class SnapshotDialog(QDialog):
    """One snapshot, large. Enter or Esc closes it."""

    def __init__(self, picture: QPixmap | None, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("snapshot_dialog")
        self.texts = Texts()
        self.texts.bind(self.setWindowTitle, "监考抓拍", "Proctoring snapshot")
        self.photo = PhotoBox(800, 600, minimum=(320, 240))
        self.photo.setObjectName("snapshot_large")
        self.photo.show_pixmap(picture, tr("没有抓拍照片", "No snapshot"))
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        close = button(self.texts, "关闭", "Close", role="primary", name="snapshot_close")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.photo, 1)
        layout.addWidget(self.caption)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)


class IncidentsPanel(QWidget):
    changed = Signal(int)  # incidents still waiting, after a load

    def __init__(
        self,
        station: Station,
        ops: Operations,
        guarded: Guarded,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("incidents")
        self.station = station
        self.ops = ops
        self.guarded = guarded
        self.texts = Texts()
        self.rows: Listed = []
        self.waiting = 0
        self.enlarged: SnapshotDialog | None = None

        self.count = QLabel()
        self.count.setObjectName("incident_count")
        self.count.setProperty("role", "heading")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("incident_table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(THUMB)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(THUMB.height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda row, *_: self._select(row))
        self.table.cellDoubleClicked.connect(lambda row, _col: self.enlarge())

        self.photo = PhotoBox(240, 180, minimum=(160, 120))
        self.photo.setObjectName("incident_photo")
        self.message = QLabel()
        self.message.setObjectName("incident_message")
        self.message.setWordWrap(True)
        self.enlarge_button = button(self.texts, "放大照片", "Enlarge", name="incident_enlarge")
        self.enlarge_button.setAutoDefault(False)
        self.enlarge_button.clicked.connect(self.enlarge)
        self.note = QLineEdit()
        self.note.setObjectName("incident_note")
        self.texts.bind(
            self.note.setPlaceholderText,
            "处理说明（必填，回车确认）：如“已到座位核实，是考生本人”",
            "What was done (required; Enter saves), e.g. “checked: it is the candidate”",
        )
        self.note.returnPressed.connect(self.acknowledge)
        self.ack_button = button(
            self.texts, "确认已处理", "Mark as dealt with", name="incident_acknowledge"
        )
        self.ack_button.setAutoDefault(False)
        self.ack_button.clicked.connect(self.acknowledge)
        self.result = QLabel()
        self.result.setObjectName("incident_result")
        self.result.setWordWrap(True)

        detail_text = QVBoxLayout()
        detail_text.addWidget(self.message)
        detail_text.addWidget(self.enlarge_button, 0, Qt.AlignmentFlag.AlignLeft)
        detail_text.addStretch(1)
        detail = QHBoxLayout()
        detail.addWidget(self.photo)
        detail.addLayout(detail_text, 1)
        ack_row = QHBoxLayout()
        ack_row.addWidget(self.note, 1)
        ack_row.addWidget(self.ack_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.count)
        layout.addWidget(
            label(
                self.texts,
                "座位抓拍发现的异常（考生作答不受影响）。选中一行查看照片，写下处理情况后确认。",
                "What the seat cameras noticed (the exam goes on regardless). Pick a row to "
                "see the picture, write what was done, then confirm.",
                role="muted",
            )
        )
        layout.addWidget(self.table, 1)
        layout.addLayout(detail)
        layout.addLayout(ack_row)
        layout.addWidget(self.result)
        self._retitle()
        self._select(-1)

    # -- loading --
    def reload(self, then: Callable[[], None] | None = None) -> None:
        def shown(rows: Listed) -> None:
            self._show(rows)
            if then is not None:
                then()

        self.ops.run(lambda job: load(self.station), shown)

    def _show(self, rows: Listed) -> None:
        keep = self.selected()
        self.rows = rows
        self.waiting = sum(1 for i, _ in rows if not i.acknowledged)
        self.table.setRowCount(len(rows))
        self._fill()
        self._retitle()
        chosen = next((n for n, (i, _) in enumerate(rows) if keep and i.seq == keep.seq), None)
        if chosen is None:  # the first one still waiting, else the newest
            chosen = next((n for n, (i, _) in enumerate(rows) if not i.acknowledged), 0)
        if rows:
            self.table.setCurrentCell(chosen, 0)
            self._select(chosen)
        else:
            self._select(-1)
        self.changed.emit(self.waiting)

    def _fill(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [
                tr("照片", "Photo"),
                tr("时间", "Time"),
                tr("座位 / 考生", "Seat / candidate"),
                tr("情况", "What"),
                tr("处理", "Dealt with"),
            ]
        )
        for n, (incident, jpeg) in enumerate(self.rows):
            thumb = QTableWidgetItem()
            picture = pixmap_from_bytes(jpeg)
            if picture is not None:
                thumb.setIcon(QIcon(picture.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio)))
            else:
                thumb.setText(tr("无照片", "none"))
            kind = tr(*KIND_NAMES.get(incident.kind, (incident.kind, incident.kind)))
            done = (
                tr(
                    f"已处理（{incident.acknowledged_by_name}）：{incident.note}",
                    f"Done ({incident.acknowledged_by_name}): {incident.note}",
                )
                if incident.acknowledged
                else tr("待处理", "Waiting")
            )
            cells = [
                thumb,
                QTableWidgetItem(_time(incident.at)),
                QTableWidgetItem(f"{incident.seat}  {incident.name}  {incident.ticket}"),
                QTableWidgetItem(kind),
                QTableWidgetItem(done),
            ]
            if not incident.acknowledged:
                bold = cells[3].font()
                bold.setBold(True)
                cells[3].setFont(bold)
                cells[4].setFont(bold)
            for column, cell in enumerate(cells):
                self.table.setItem(n, column, cell)

    def _retitle(self) -> None:
        total = len(self.rows)
        self.count.setText(
            tr(f"待处理 {self.waiting} 条（共 {total} 条）", f"{self.waiting} waiting of {total}")
            if total
            else tr("没有监考事件", "No proctoring incidents")
        )

    # -- the chosen incident --
    def selected(self) -> Incident | None:
        row = self.table.currentRow()
        return self.rows[row][0] if 0 <= row < len(self.rows) else None

    def _select(self, row: int) -> None:
        chosen = self.rows[row] if 0 <= row < len(self.rows) else None
        if chosen is None:
            self.photo.show_pixmap(None, "")
            self.message.clear()
            for widget in (self.enlarge_button, self.note, self.ack_button):
                widget.setEnabled(False)
            return
        incident, jpeg = chosen
        self.photo.show_pixmap(pixmap_from_bytes(jpeg), tr("没有抓拍照片", "No snapshot"))
        self.message.setText(
            f"{_time(incident.at)}  {tr('座位', 'Seat')} {incident.seat}  {incident.name}"
            f"（{incident.ticket}）\n{tr(incident.message_zh, incident.message_en)}"
        )
        self.enlarge_button.setEnabled(jpeg is not None)
        self.note.setEnabled(not incident.acknowledged)
        self.ack_button.setEnabled(not incident.acknowledged)
        if incident.acknowledged:
            self.note.setText(incident.note)
        else:
            self.note.clear()

    def enlarge(self) -> SnapshotDialog | None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows) or self.rows[row][1] is None:
            return None
        incident, jpeg = self.rows[row]
        self.enlarged = SnapshotDialog(pixmap_from_bytes(jpeg), self.message.text(), self)
        self.enlarged.resize(self.window().size().boundedTo(QSize(900, 760)))
        self.enlarged.open()
        return self.enlarged

    def acknowledge(self) -> None:
        incident = self.selected()
        if incident is None or incident.acknowledged or not self.ack_button.isEnabled():
            return
        note = self.note.text()
        if not note.strip():  # said here at once; the core refuses it too
            self.result.setText(
                tr(
                    "请先写下处理情况，再确认。",
                    "Write what was done first, then confirm.",
                )
            )
            self.note.setFocus()
            return

        def granted(person: Person) -> None:
            self.ack_button.setEnabled(False)
            self.ops.run(
                lambda job: acknowledge(self.station, person, incident.seq, note),
                lambda done: self._acknowledged(done, person),
                self._failed,
            )

        self.guarded("incident.acknowledge", ("处理监考事件", "Acknowledge an incident"), granted)

    def _acknowledged(self, done: Incident, person: Person) -> None:
        self.result.setText(
            tr(
                f"已记录：{person.name}（{person.staff_number}）处理了座位 {done.seat} 的事件。",
                f"Recorded: {person.name} ({person.staff_number}) dealt with the incident at "
                f"seat {done.seat}.",
            )
        )
        self.reload()

    def _failed(self, exc: BaseException) -> None:
        self.ack_button.setEnabled(True)
        self.result.setText(error_text(exc))

    def retranslate(self) -> None:
        self.texts.apply()
        self._fill()
        self._retitle()
        self._select(self.table.currentRow())
