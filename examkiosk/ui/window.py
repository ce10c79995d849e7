"""The kiosk window: a header (station, clock, mode switcher, language) over one screen per
station mode. Screens are built on first use by the factories the composition root passes in;
a screen may offer `retranslate()`, `activate()`, `deactivate()`, `reload()` and `stop()`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from examkiosk.core.station import StationIdentity
from examkiosk.ui.i18n import language, set_language, tr
from examkiosk.ui.widgets import Texts, button

MODES: dict[str, tuple[str, str]] = {
    "door": ("入口核验", "Door check-in"),
    "seat": ("考生座位", "Candidate seat"),
    "admin": ("考点管理", "Administration"),
}


class ModeGuard(Protocol):
    def request(
        self, parent: QWidget, what: tuple[str, str], granted: Callable[[], None]
    ) -> None: ...


def _call(widget: QWidget, hook: str) -> None:
    method = getattr(widget, hook, None)
    if callable(method):
        method()


class Header(QWidget):
    mode_requested = Signal(str)
    language_toggled = Signal()

    def __init__(self, identity: StationIdentity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.texts = Texts()
        self.identity = identity
        title = QLabel()
        self.texts.bind(title.setText, "ExamKiosk 考点工作站", "ExamKiosk")
        title.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.station = QLabel()
        self.station.setObjectName("header_station")
        self.clock = QLabel()
        self.clock.setStyleSheet("font-size: 20px;")
        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.addWidget(title)
        layout.addSpacing(12)
        layout.addWidget(self.station, 1)
        layout.addWidget(self.clock)
        layout.addSpacing(12)
        for mode, (zh, en) in MODES.items():
            b = button(self.texts, zh, en, role="mode", name=f"mode_{mode}")
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, m=mode: self.mode_requested.emit(m))
            self.buttons[mode] = b
            layout.addWidget(b)
        layout.addSpacing(12)
        self.language = QPushButton()
        self.language.setObjectName("language")
        self.language.setProperty("role", "mode")
        self.language.clicked.connect(self.language_toggled.emit)
        layout.addWidget(self.language)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)
        self.retranslate()

    def show_mode(self, mode: str) -> None:
        for m, b in self.buttons.items():
            b.setChecked(m == mode)

    def set_switcher_visible(self, visible: bool) -> None:
        """The mode buttons and the language button: hidden on a candidate's seat."""
        for b in self.buttons.values():
            b.setVisible(visible)
        self.language.setVisible(visible)

    def switcher_visible(self) -> bool:
        return self.language.isVisible()

    def retranslate(self) -> None:
        self.texts.apply()
        i = self.identity
        self.station.setText(
            tr(
                f"工作站 {i.station_id} · 考点 {i.venue_id}",
                f"{i.station_id} · {i.venue_id}",
            )
        )
        self.language.setText("English" if language() != "en" else "中文")
        self._tick()

    def _tick(self) -> None:
        self.clock.setText(datetime.now().strftime("%H:%M:%S"))


SWITCHER_OPEN_MS = 60_000  # an unlocked switcher left alone on a seat closes again
INVIGILATOR_CHORD = "Ctrl+Alt+I"


class KioskWindow(QMainWindow):
    """The station window. In seat mode it belongs to the candidate: no mode buttons and no
    language button; the invigilator presses Ctrl+Alt+I and signs in through the guard to
    get the mode buttons back for one choice."""

    mode_changed = Signal(str)

    def __init__(
        self,
        identity: StationIdentity,
        factories: Mapping[str, Callable[[], QWidget]],
        guard: ModeGuard,
        mode: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.identity = identity
        self.factories = dict(factories)
        self.guard = guard
        self.screens: dict[str, QWidget] = {}
        self.header = Header(identity)
        self.header.mode_requested.connect(self.request_mode)
        self.header.language_toggled.connect(self.toggle_language)
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.setWindowTitle("ExamKiosk")
        self.mode = ""
        self._close_granted = False
        self._switch_granted = False
        self._switcher_timer = QTimer(self)
        self._switcher_timer.setSingleShot(True)
        self._switcher_timer.setInterval(SWITCHER_OPEN_MS)
        self._switcher_timer.timeout.connect(self._close_switcher)
        chord = QShortcut(QKeySequence(INVIGILATOR_CHORD), self)
        chord.setContext(Qt.ShortcutContext.ApplicationShortcut)
        chord.activated.connect(self.invigilator_chord)
        self.set_mode(
            mode if mode in MODES else (identity.mode if identity.mode in MODES else "door")
        )

    def screen_for(self, mode: str) -> QWidget:
        """The screen of `mode`, built on first use."""
        if mode not in self.screens:
            widget = self.factories[mode]()
            self.screens[mode] = widget
            self.stack.addWidget(widget)
        return self.screens[mode]

    def set_mode(self, mode: str) -> None:
        """Show `mode` (no guard: the caller has checked who asked)."""
        if mode == self.mode:
            self.header.show_mode(mode)
            return
        if self.mode in self.screens:
            _call(self.screens[self.mode], "deactivate")
        widget = self.screen_for(mode)
        self.stack.setCurrentWidget(widget)
        _call(widget, "activate")
        self.mode = mode
        self.header.show_mode(mode)
        self._close_switcher()
        self.mode_changed.emit(mode)

    def request_mode(self, mode: str) -> None:
        """A click on the mode switcher: only after the guard grants it (or right after the
        invigilator's chord was granted on a seat)."""
        self.header.show_mode(self.mode)  # the button stays on the current mode until granted
        if self._switch_granted:
            self._switch_granted = False
            if mode == self.mode:
                self._close_switcher()
            else:
                self.set_mode(mode)
            return
        if mode != self.mode:
            self.guard.request(self, MODES[mode], lambda *_: self.set_mode(mode))

    def invigilator_chord(self) -> None:
        """Ctrl+Alt+I on a seat: a staff sign-in, then the mode buttons for one choice."""
        if self.mode != "seat" or self.header.switcher_visible():
            return
        self.guard.request(self, ("监考员操作", "Invigilator"), lambda *_: self._open_switcher())

    def _open_switcher(self) -> None:
        self._switch_granted = True
        self.header.set_switcher_visible(True)
        self._switcher_timer.start()

    def _close_switcher(self) -> None:
        self._switch_granted = False
        self._switcher_timer.stop()
        self.header.set_switcher_visible(self.mode != "seat")

    def toggle_language(self) -> None:
        set_language("zh_CN" if language() == "en" else "en")
        self.header.retranslate()
        for widget in self.screens.values():
            _call(widget, "retranslate")

    def data_changed(self, source: Any = None) -> None:
        """Data under the screens changed (a package was imported): let each reload."""
        for widget in self.screens.values():
            if widget is not source:
                _call(widget, "reload")

    def shutdown(self) -> None:
        for widget in self.screens.values():
            _call(widget, "stop")

    @property
    def exam_running(self) -> bool:
        return any(bool(getattr(w, "exam_running", False)) for w in self.screens.values())

    def closeEvent(self, event: QCloseEvent) -> None:
        # A candidate mid-exam must not be able to close the kiosk: only an invigilator
        # (the guard) can. What Qt cannot block on the OS is listed in docs/exam.md.
        if self.exam_running and not self._close_granted:
            event.ignore()
            self.guard.request(
                self, ("关闭考试窗口", "Close the exam window"), lambda *_: self._close_now()
            )
            return
        self.shutdown()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self.fit_to_screen()
        super().showEvent(event)

    def fit_to_screen(self) -> None:
        """Never larger than the screen the window is on: a window taller than a 768-line
        laptop screen puts the decision buttons below its edge. The screens lay themselves
        out to fit (scroll areas, wrapped text) rather than grow."""
        screen = self.screen()
        if screen is None:
            return
        available = screen.availableGeometry().size()
        self.setMaximumSize(available)
        if self.width() > available.width() or self.height() > available.height():
            self.resize(self.size().boundedTo(available))

    def _close_now(self) -> None:
        self._close_granted = True
        self.close()
