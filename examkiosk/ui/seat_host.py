"""The seat mode hosts the candidate screens of `examkiosk.ui.seat` when they are installed,
and otherwise says plainly that this build has none."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from examkiosk.core.station import Station
from examkiosk.ui.i18n import tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, card, label

log = logging.getLogger(__name__)


class SeatPlaceholder(QWidget):
    """Shown instead of the candidate screens when they cannot be loaded."""

    def __init__(self, detail: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("seat_placeholder")
        self.texts = Texts()
        title = label(
            self.texts,
            "考生作答界面不可用",
            "The candidate exam screen is not available",
            role="heading",
        )
        body = label(
            self.texts,
            "本程序版本中没有可用的考生作答界面。请联系技术人员；入口核验与考点管理不受影响。",
            "This build has no usable candidate exam screen. Call the technician; door check-in "
            "and administration are not affected.",
        )
        self.detail = QLabel(detail)
        self.detail.setProperty("role", "muted")
        self.detail.setWordWrap(True)
        for widget in (title, body):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        box = card(title, body, self.detail, margins=32)
        box.setFixedWidth(680)  # word-wrapped labels need a width, or they are clipped
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(1)

    def retranslate(self) -> None:
        self.texts.apply()


def seat_screen(station: Station, ops: Operations) -> QWidget:
    """`examkiosk.ui.seat.SeatScreen(station, ops)`, or a placeholder saying why not."""
    try:
        from examkiosk.ui.seat import SeatScreen
    except ImportError as exc:
        log.warning("candidate screens not installed: %s", exc)
        return SeatPlaceholder(tr(f"（{exc}）", f"({exc})"))
    try:
        return SeatScreen(station, ops)  # type: ignore[no-any-return]
    except Exception as exc:  # a broken seat screen must not take the door and admin down
        log.exception("candidate screen failed to start")
        return SeatPlaceholder(f"{type(exc).__name__}: {getattr(exc, 'zh', '') or exc}")
