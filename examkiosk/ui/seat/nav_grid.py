"""The navigation grid: one numbered button per item, coloured answered / flagged /
unanswered, the current one outlined. A state shows only what was committed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QPushButton, QScrollArea, QWidget

COLUMNS = 8  # at most; fewer when the grid is narrow (large fonts), never a sideways scroll


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class NavGrid(QScrollArea):
    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._columns = COLUMNS
        self._inner = QWidget()
        self._grid = QGridLayout(self._inner)
        self._grid.setSpacing(4)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setWidget(self._inner)
        self.buttons: list[QPushButton] = []
        self._current = -1

    def build(self, count: int) -> None:
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        for n in range(count):
            button = QPushButton(str(n + 1))
            button.setObjectName(f"nav_{n + 1}")
            button.setProperty("nav", "unanswered")
            button.clicked.connect(lambda _checked=False, n=n: self.chosen.emit(n))
            self._grid.addWidget(button, n // self._columns, n % self._columns)
            self.buttons.append(button)
        self._current = -1

    def columns(self) -> int:
        return self._columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.reflow()

    def reflow(self) -> None:
        """As many columns as fit the viewport's width (1 to COLUMNS)."""
        if not self.buttons:
            return
        cell = max(b.minimumSizeHint().width() for b in self.buttons[:3]) + self._grid.spacing()
        margins = self._grid.contentsMargins()
        width = self.viewport().width() - margins.left() - margins.right()
        columns = max(1, min(COLUMNS, width // max(1, cell)))
        if columns == self._columns:
            return
        self._columns = columns
        for n, button in enumerate(self.buttons):
            self._grid.removeWidget(button)
            self._grid.addWidget(button, n // columns, n % columns)

    def set_state(self, index: int, answered: bool, flagged: bool) -> None:
        button = self.buttons[index]
        state = "flagged" if flagged else ("answered" if answered else "unanswered")
        if button.property("nav") != state:
            button.setProperty("nav", state)
            button.setText(f"{index + 1}{'⚑' if flagged else ''}")
            _repolish(button)

    def state(self, index: int) -> str:
        return str(self.buttons[index].property("nav"))

    def set_current(self, index: int) -> None:
        if 0 <= self._current < len(self.buttons):
            self.buttons[self._current].setProperty("current", "false")
            _repolish(self.buttons[self._current])
        self._current = index
        self.buttons[index].setProperty("current", "true")
        _repolish(self.buttons[index])
        self.ensureWidgetVisible(self.buttons[index])
