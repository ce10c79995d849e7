"""The door's counters (expected, admitted, refused, by hand, not yet arrived) and the
anomalies list, refreshed with the roster."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.door_overview import KINDS, DoorOverview
from examkiosk.ui import theme
from examkiosk.ui.i18n import tr
from examkiosk.ui.widgets import Texts, label

COUNTERS = (
    ("expected", "应到", "Expected", theme.NEUTRAL),
    ("admitted", "已放行", "Admitted", theme.ADMIT),
    ("refused", "拒绝", "Refused", theme.REFUSE),
    ("manual", "手工录入", "By hand", theme.REVIEW),
    ("not_arrived", "未到", "Not yet", theme.NEUTRAL),
)


class DoorOverviewPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = Texts()
        self.numbers: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        for column, (key, zh, en, colour) in enumerate(COUNTERS):
            number = QLabel("0")
            number.setObjectName(f"count_{key}")
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            number.setStyleSheet(f"font-size: 24px; font-weight: bold; color: {colour};")
            caption = label(self.texts, zh, en, role="muted", wrap=False)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(number, 0, column)
            grid.addWidget(caption, 1, column)
            self.numbers[key] = number
        self.anomalies = QListWidget()
        self.anomalies.setObjectName("anomalies")
        self.anomalies.setMaximumHeight(84)  # three lines; the roster keeps the height
        self.anomalies.setWordWrap(True)
        self.anomalies_title = label(self.texts, "异常记录", "Anomalies", role="muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(grid)
        layout.addWidget(self.anomalies_title)
        layout.addWidget(self.anomalies)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._overview: DoorOverview | None = None

    def show_overview(self, overview: DoorOverview) -> None:
        self._overview = overview
        counts = overview.counts
        for key, *_rest in COUNTERS:
            self.numbers[key].setText(str(getattr(counts, key)))
        self.anomalies.clear()
        for a in overview.anomalies:
            zh, en = KINDS.get(a.kind, (a.kind, a.kind))
            when = a.at[11:16]
            reason = f"：{a.detail}" if a.detail else ""
            self.anomalies.addItem(
                tr(
                    f"{when} {zh} · {a.seat} {a.name}{reason}",
                    f"{when} {en} · {a.seat} {a.name}{': ' + a.detail if a.detail else ''}",
                )
            )
        if not overview.anomalies:
            self.anomalies.addItem(tr("暂无异常", "None so far"))

    def retranslate(self) -> None:
        self.texts.apply()
        if self._overview is not None:
            self.show_overview(self._overview)
