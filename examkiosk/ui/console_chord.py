"""The technician's way out of the kiosk to a console: a key chord, then a staff sign-in.

Ctrl+Alt+Shift+T asks the window's guard for a person allowed to open the console (a
technician or a venue administrator); once granted, and only while no exam is running in
this window, the event is audited and the program ends with CONSOLE_EXIT. The kiosk session
(installer/debian/systemd/examkiosk-kiosk.service) does not restart the window after that
status and gives tty1 its login prompt instead; any other ending restarts the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMessageBox

from examkiosk.core.authz import audit
from examkiosk.core.station import Station
from examkiosk.ui.i18n import tr

CONSOLE_EXIT = 75  # EX_TEMPFAIL: also named in the kiosk unit's RestartPreventExitStatus=
CHORD = "Ctrl+Alt+Shift+T"


def install_console_chord(
    window: Any, station: Station, exit_app: Callable[[int], None] = QApplication.exit
) -> QShortcut:
    """Bind the chord on `window` (a KioskWindow: `.guard`, `.exam_running`)."""
    shortcut = QShortcut(QKeySequence(CHORD), window)
    shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)

    def granted(person: Any) -> None:
        if window.exam_running:
            QMessageBox.information(
                window,
                "ExamKiosk",
                tr(
                    "考试进行中，不能切换到控制台。",
                    "An exam is running here: the console cannot be opened now.",
                ),
            )
            return
        with station.store.transaction() as conn:
            audit(station, conn, person, "console.open", {})
        exit_app(CONSOLE_EXIT)

    shortcut.activated.connect(
        lambda: window.guard.request(
            window, ("打开技术人员控制台", "Open the technician console"), granted, "console.open"
        )
    )
    return shortcut
