"""The technician console: Ctrl+Alt+Shift+T, then a technician's sign-in (real key events),
ends the window with the status the kiosk session reads as "give tty1 a login prompt"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from examkiosk.app.demo_venue import demo_accounts
from examkiosk.core.accounts import Accounts
from examkiosk.core.station import Station
from examkiosk.store.layout import DataDir
from examkiosk.ui.app import SharedFace, build_window, demo_devices
from examkiosk.ui.console_chord import CONSOLE_EXIT, install_console_chord
from examkiosk.ui.ops import Operations
from examkiosk.ui.passphrase import PassphraseGuard
from examkiosk.ui.signin import SignInDialog, StaffGuard, StaffSession
from examkiosk.ui.window import KioskWindow

CHORD = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
CHORD |= Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> Iterator[tuple[KioskWindow, list[int]]]:
    devices = demo_devices(venue_dir)
    accounts = Accounts(station)
    session = StaffSession(accounts.any_accounts)
    guard = StaffGuard(accounts, ops, session, PassphraseGuard(DataDir(venue_dir).keyslots, ops))
    built = build_window(station, ops, devices, guard, "door", SharedFace(), session=session)
    exits: list[int] = []
    install_console_chord(built, station, exits.append)
    qtbot.addWidget(built)
    built.show()
    built.activateWindow()
    qtbot.waitExposed(built)
    yield built, exits
    built.shutdown()
    devices.feed.close()


def _chord_and_sign_in(qtbot: QtBot, window: KioskWindow, number: str, password: str) -> None:
    qtbot.keyClick(window, Qt.Key.Key_T, CHORD)
    guard = window.guard
    assert isinstance(guard, StaffGuard)
    qtbot.waitUntil(lambda: guard.dialog is not None and guard.dialog.isVisible(), timeout=5000)
    dialog = guard.dialog
    assert isinstance(dialog, SignInDialog)
    qtbot.keyClicks(dialog.number, number)
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


def _console_events(station: Station) -> list[dict[str, object]]:
    return [e.payload for e in station.events() if e.type == "audit.console.open"]


def test_a_technician_opens_the_console_with_the_chord(
    qtbot: QtBot, window: tuple[KioskWindow, list[int]], station: Station, venue_dir: Path
) -> None:
    kiosk, exits = window
    password = demo_accounts(venue_dir)["demo-tech"]
    _chord_and_sign_in(qtbot, kiosk, "demo-tech", password)
    qtbot.waitUntil(lambda: exits == [CONSOLE_EXIT], timeout=10_000)
    (event,) = _console_events(station)
    assert event["by"] == "demo-tech"


def test_an_invigilator_cannot_open_the_console(
    qtbot: QtBot, window: tuple[KioskWindow, list[int]], station: Station, venue_dir: Path
) -> None:
    kiosk, exits = window
    password = demo_accounts(venue_dir)["demo-inv1"]
    _chord_and_sign_in(qtbot, kiosk, "demo-inv1", password)
    guard = kiosk.guard
    assert isinstance(guard, StaffGuard) and guard.dialog is not None
    qtbot.waitUntil(
        lambda: guard.dialog is not None and guard.dialog.error.text() != "", timeout=10_000
    )
    QApplication.processEvents()
    assert exits == [] and _console_events(station) == []
    refused = [e.payload for e in station.events() if e.type == "audit.refused"]
    assert refused and refused[-1]["action"] == "console.open"


class _SittingScreen(QWidget):
    exam_running = True


class _GrantingGuard:
    def request(
        self, parent: QWidget, what: tuple[str, str], granted: object, action: str = ""
    ) -> None:
        granted(None)  # type: ignore[operator]


def test_not_while_an_exam_is_running(
    qtbot: QtBot, station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    # The message box is modal; record its text instead of blocking the test.
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    kiosk = KioskWindow(station.identity, {"door": _SittingScreen}, _GrantingGuard(), "door")
    exits: list[int] = []
    install_console_chord(kiosk, station, exits.append)
    qtbot.addWidget(kiosk)
    kiosk.show()
    kiosk.activateWindow()
    qtbot.waitExposed(kiosk)
    qtbot.keyClick(kiosk, Qt.Key.Key_T, CHORD)
    assert exits == [] and len(shown) == 1 and "考试进行中" in shown[0]
    assert [e for e in station.events() if e.type == "audit.console.open"] == []
