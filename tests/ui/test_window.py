"""The kiosk window: starts in the station's mode, switches mode only with the recovery
passphrase, switches language in place, and hosts the candidate screens in seat mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from examkiosk.core.station import Station
from examkiosk.store.layout import DataDir
from examkiosk.ui.app import SharedFace, build_window, demo_devices
from examkiosk.ui.door.screen import DoorScreen
from examkiosk.ui.ops import Operations
from examkiosk.ui.passphrase import PassphraseGuard
from examkiosk.ui.seat_host import SeatPlaceholder
from examkiosk.ui.window import KioskWindow


@pytest.fixture
def window(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> Iterator[KioskWindow]:
    devices = demo_devices(venue_dir)
    guard = PassphraseGuard(DataDir(venue_dir).keyslots, ops)
    built = build_window(station, ops, devices, guard, None, SharedFace())
    qtbot.addWidget(built)
    built.show()
    yield built
    built.shutdown()
    devices.feed.close()


def test_opens_in_the_stations_own_mode(window: KioskWindow, station: Station) -> None:
    assert window.mode == station.identity.mode == "door"
    assert isinstance(window.stack.currentWidget(), DoorScreen)
    assert window.header.buttons["door"].isChecked()
    assert station.station_id in window.header.station.text()


def test_mode_switch_needs_the_recovery_passphrase(
    qtbot: QtBot, window: KioskWindow, passphrase: str
) -> None:
    qtbot.mouseClick(window.header.buttons["admin"], Qt.MouseButton.LeftButton)
    guard = window.guard
    assert isinstance(guard, PassphraseGuard) and guard.dialog is not None
    dialog = guard.dialog
    assert window.mode == "door" and not window.header.buttons["admin"].isChecked()
    qtbot.keyClicks(dialog.passphrase, "not-the-passphrase")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "口令不正确" in dialog.error.text(), timeout=10_000)
    assert window.mode == "door"
    dialog.passphrase.setText(passphrase)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.mode == "admin", timeout=10_000)
    assert window.header.buttons["admin"].isChecked()


def test_language_switches_in_place_and_back(qtbot: QtBot, window: KioskWindow) -> None:
    door = window.screen_for("door")
    assert isinstance(door, DoorScreen)
    assert door.verdict.admit.text() == "放行"
    qtbot.mouseClick(window.header.language, Qt.MouseButton.LeftButton)
    assert door.verdict.admit.text() == "Admit"
    assert window.header.buttons["door"].text() == "Door check-in"
    assert window.header.language.text() == "中文"
    assert door.roster.table.horizontalHeaderItem(1).text() == "Ticket"
    qtbot.mouseClick(window.header.language, Qt.MouseButton.LeftButton)
    assert door.verdict.admit.text() == "放行"
    assert window.screen_for("door") is door  # same screen, state kept


def test_seat_mode_hosts_the_candidate_screens_or_says_they_are_missing(
    window: KioskWindow,
) -> None:
    window.set_mode("seat")
    QApplication.processEvents()
    seat = window.stack.currentWidget()
    try:
        from examkiosk.ui.seat import SeatScreen
    except ImportError:
        assert isinstance(seat, SeatPlaceholder)
        return
    assert isinstance(seat, SeatScreen)


def test_leaving_the_door_stops_its_devices(window: KioskWindow) -> None:
    door = window.screen_for("door")
    assert isinstance(door, DoorScreen)
    window.set_mode("admin")
    assert not door.camera._timer.isActive()
    window.set_mode("door")
    assert door.camera._timer.isActive()


class _SittingScreen(QWidget):
    """A seat screen stand-in with a candidate mid-exam."""

    exam_running = True


class _RecordingGuard:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.grant: object = None

    def request(self, parent: QWidget, what: tuple[str, str], granted: object) -> None:
        self.asked.append(what)
        self.grant = granted


def test_a_candidate_mid_exam_cannot_close_the_window(qtbot: QtBot, station: Station) -> None:
    guard = _RecordingGuard()
    window = KioskWindow(station.identity, {"door": _SittingScreen}, guard, "door")
    qtbot.addWidget(window)
    window.show()
    window.close()
    assert window.isVisible()
    assert guard.asked == [("关闭考试窗口", "Close the exam window")]
    guard.grant()  # the invigilator's passphrase was right
    assert not window.isVisible()


def test_the_window_closes_freely_when_no_exam_is_running(qtbot: QtBot, station: Station) -> None:
    guard = _RecordingGuard()
    window = KioskWindow(station.identity, {"door": QWidget}, guard, "door")
    qtbot.addWidget(window)
    window.show()
    window.close()
    assert not window.isVisible() and guard.asked == []
