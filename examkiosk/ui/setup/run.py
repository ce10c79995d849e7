"""Runs the set-up page full screen on a fresh install; the kiosk window follows."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from examkiosk.core.station import Station
from examkiosk.ui.ops import Operations
from examkiosk.ui.setup.page import SetupPage
from examkiosk.ui.theme import apply_theme


def run_setup(data_dir: Path, *, full_screen: bool = True) -> Station | None:
    """Show the set-up page until the technician opens the provisioned station (returned),
    or the window is closed first (None: nothing was provisioned, or it was and is reopened
    at the next start)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("ExamKiosk")
    apply_theme(app)
    ops = Operations()
    page = SetupPage(data_dir, ops)
    page.setWindowTitle("ExamKiosk setup")
    chosen: list[Station] = []

    def finished(station: Station) -> None:
        chosen.append(station)
        page.close()

    page.finished.connect(finished)
    page.showFullScreen() if full_screen else page.show()
    app.exec()
    ops.shutdown()
    if not chosen and page.station is not None:
        page.station.close()
    return chosen[0] if chosen else None
