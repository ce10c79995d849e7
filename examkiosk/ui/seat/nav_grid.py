"""The navigation grid: one numbered button per item, coloured answered / flagged /
unanswered, the current one outlined. A state shows only what was committed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QScrollArea, QWidget

COLUMNS = 8


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class NavGrid(QScrollArea):
    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
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
            self._grid.addWidget(button, n // COLUMNS, n % COLUMNS)
            self.buttons.append(button)
        self._current = -1

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
