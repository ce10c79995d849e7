"""The kiosk window: a header (station, clock, mode switcher, language) over one screen per
station mode. Screens are built on first use by the factories the composition root passes in;
a screen may offer `retranslate()`, `activate()`, `deactivate()`, `reload()` and `stop()`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
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
    """Asks for a staff sign-in whose role may do `action`; calls `granted(person)`."""

    def request(
        self,
        parent: QWidget,
        what: tuple[str, str],
        granted: Callable[[Any], None],
        action: str = ...,
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


LOCKING_MODES = ("door", "admin")


class LockPage(QWidget):
    """Shown on the door and admin screens while nobody is signed in."""

    def __init__(self, unlock: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("lock_page")
        self.texts = Texts()
        title = QLabel()
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("font-size: 26px; font-weight: bold;")
        self.texts.bind(title.setText, "已锁定：请工作人员登录", "Locked: staff sign in")
        hint = QLabel()
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.texts.bind(
            hint.setText,
            "入口核验与考点管理只在工作人员登录后可用；无人操作一段时间后自动锁定。",
            "The door and administration work only while a member of staff is signed in; "
            "they lock by themselves after a while without use.",
        )
        self.sign_in = button(self.texts, "登录", "Sign in", role="primary", name="lock_sign_in")
        self.sign_in.clicked.connect(unlock)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.sign_in)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def retranslate(self) -> None:
        self.texts.apply()


class IdleWatch(QObject):
    """Emits `idle` once no key, click or touch has reached the application for `limit_ms`
    (0: never). An event filter on the application sees every input, whichever widget."""

    idle = Signal()

    def __init__(self, parent: QObject, limit_ms: int) -> None:
        super().__init__(parent)
        self.limit_ms = limit_ms
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle.emit)
        app = QApplication.instance()
        if limit_ms > 0 and app is not None:
            app.installEventFilter(self)
            self._timer.start(limit_ms)

    def stop(self) -> None:
        self._timer.stop()
        self.limit_ms = 0
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.limit_ms and event.type() in _INPUT_EVENTS:
            self._timer.start(self.limit_ms)
        return False


_INPUT_EVENTS = (
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.Wheel,
)


class KioskWindow(QMainWindow):
    mode_changed = Signal(str)

    def __init__(
        self,
        identity: StationIdentity,
        factories: Mapping[str, Callable[[], QWidget]],
        guard: ModeGuard,
        mode: str | None = None,
        parent: QWidget | None = None,
        *,
        session: Any = None,
        idle_lock_ms: int = 0,
    ) -> None:
        super().__init__(parent)
        self.identity = identity
        # With a staff session, the door and admin screens show only while someone is
        # signed in, and lock again after `idle_lock_ms` without a key or click.
        self.session = session
        self.lock_page = LockPage(self._unlock_requested)
        self.factories = dict(factories)
        self.guard = guard
        self.screens: dict[str, QWidget] = {}
        self.header = Header(identity)
        self.header.mode_requested.connect(self.request_mode)
        self.header.language_toggled.connect(self.toggle_language)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.lock_page)
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
        self._idle = IdleWatch(self, idle_lock_ms if session is not None else 0)
        self._idle.idle.connect(self.lock)
        if session is not None:
            session.changed.connect(lambda _person: self._show_current())
        self.set_mode(
            mode if mode in MODES else (identity.mode if identity.mode in MODES else "door")
        )

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.lock_page

    def _needs_staff(self, mode: str) -> bool:
        return self.session is not None and mode in LOCKING_MODES and self.session.required()

    def _show_current(self) -> None:
        if self._needs_staff(self.mode) and self.session.person is None:
            self.stack.setCurrentWidget(self.lock_page)
            self.lock_page.retranslate()
        elif self.mode in self.screens:
            self.stack.setCurrentWidget(self.screens[self.mode])

    def lock(self) -> None:
        """Idle too long: sign the person out; the door and admin show the lock page."""
        if self.session is not None and self._needs_staff(self.mode):
            self.session.set(None)

    def _unlock_requested(self) -> None:
        mode = self.mode
        self.guard.request(self, MODES[mode], lambda _person: self._show_current(), f"mode.{mode}")

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
        self.mode = mode
        self._show_current()
        _call(widget, "activate")
        self.header.show_mode(mode)
        self.mode_changed.emit(mode)

    def request_mode(self, mode: str) -> None:
        """A click on the mode switcher: only after the guard grants it."""
        self.header.show_mode(self.mode)  # the button stays on the current mode until granted
        if mode != self.mode:
            self.guard.request(
                self, MODES[mode], lambda _person: self.set_mode(mode), f"mode.{mode}"
            )

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
        self._idle.stop()
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
                self,
                ("关闭考试窗口", "Close the exam window"),
                lambda _person: self._close_now(),
                "kiosk.close",
            )
            return
        self.shutdown()
        super().closeEvent(event)

    def _close_now(self) -> None:
        self._close_granted = True
        self.close()
