"""The kiosk window: starts in the station's mode, shows the door and admin only to signed-in
staff (and locks them when idle), switches mode only after a sign-in whose role allows it,
switches language in place, and hosts the candidate screens in seat mode."""

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
from examkiosk.ui.door.screen import DoorScreen
from examkiosk.ui.ops import Operations
from examkiosk.ui.passphrase import PassphraseGuard
from examkiosk.ui.seat_host import SeatPlaceholder
from examkiosk.ui.signin import SignInDialog, StaffGuard, StaffSession
from examkiosk.ui.window import KioskWindow


@pytest.fixture
def window(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> Iterator[KioskWindow]:
    devices = demo_devices(venue_dir)
    accounts = Accounts(station)
    session = StaffSession(accounts.any_accounts)
    guard = StaffGuard(accounts, ops, session, PassphraseGuard(DataDir(venue_dir).keyslots, ops))
    built = build_window(
        station, ops, devices, guard, None, SharedFace(), session=session, idle_lock_ms=1500
    )
    qtbot.addWidget(built)
    built.show()
    yield built
    built.shutdown()
    devices.feed.close()


def _sign_in(qtbot: QtBot, dialog: SignInDialog, number: str, password: str) -> None:
    dialog.number.setText(number)
    dialog.password.setText("")
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter signs in


def _dialog(window: KioskWindow) -> SignInDialog:
    guard = window.guard
    assert isinstance(guard, StaffGuard) and guard.dialog is not None
    return guard.dialog


def test_the_door_shows_only_after_an_invigilator_signs_in(
    qtbot: QtBot, window: KioskWindow, station: Station, venue_dir: Path
) -> None:
    assert window.mode == station.identity.mode == "door"
    assert window.locked and window.stack.currentWidget() is window.lock_page
    qtbot.mouseClick(window.lock_page.sign_in, Qt.MouseButton.LeftButton)
    dialog = _dialog(window)
    _sign_in(qtbot, dialog, "demo-inv1", "not-the-password")
    qtbot.waitUntil(lambda: "不正确" in dialog.error.text(), timeout=10_000)
    assert window.locked
    _sign_in(qtbot, dialog, "demo-inv1", demo_accounts(venue_dir)["demo-inv1"])
    qtbot.waitUntil(lambda: not window.locked, timeout=10_000)
    assert isinstance(window.stack.currentWidget(), DoorScreen)
    assert window.header.buttons["door"].isChecked()
    assert station.station_id in window.header.station.text()
    signed = [e for e in station.events() if e.type == "audit.signed_in"]
    assert signed[-1].payload["by"] == "demo-inv1"


def test_the_door_locks_itself_when_left_idle(
    qtbot: QtBot, window: KioskWindow, venue_dir: Path
) -> None:
    qtbot.mouseClick(window.lock_page.sign_in, Qt.MouseButton.LeftButton)
    _sign_in(qtbot, _dialog(window), "demo-inv1", demo_accounts(venue_dir)["demo-inv1"])
    qtbot.waitUntil(lambda: not window.locked, timeout=10_000)
    qtbot.waitUntil(lambda: window.locked, timeout=10_000)  # 1.5 s without input
    assert window.session.person is None


def test_a_role_that_may_not_is_refused_and_audited(
    qtbot: QtBot, window: KioskWindow, station: Station, venue_dir: Path
) -> None:
    qtbot.mouseClick(window.lock_page.sign_in, Qt.MouseButton.LeftButton)
    dialog = _dialog(window)
    _sign_in(qtbot, dialog, "demo-tech", demo_accounts(venue_dir)["demo-tech"])
    qtbot.waitUntil(lambda: "没有此权限" in dialog.error.text(), timeout=10_000)
    assert window.locked
    refused = station.events()[-1]
    assert refused.type == "audit.refused" and refused.payload["action"] == "mode.door"


def test_five_wrong_passwords_lock_the_account(
    qtbot: QtBot, window: KioskWindow, venue_dir: Path
) -> None:
    qtbot.mouseClick(window.lock_page.sign_in, Qt.MouseButton.LeftButton)
    dialog = _dialog(window)
    for n in range(5):
        _sign_in(qtbot, dialog, "demo-inv2", f"Wrong-Guess#{n}")
        qtbot.waitUntil(lambda: dialog.ok.isEnabled() and dialog.error.text() != "", timeout=10_000)
    assert "锁定" in dialog.error.text()
    _sign_in(qtbot, dialog, "demo-inv2", demo_accounts(venue_dir)["demo-inv2"])
    qtbot.waitUntil(lambda: "已锁定" in dialog.error.text(), timeout=10_000)
    assert window.locked


def test_mode_switch_needs_a_signed_in_person(
    qtbot: QtBot, window: KioskWindow, venue_dir: Path
) -> None:
    qtbot.mouseClick(window.header.buttons["admin"], Qt.MouseButton.LeftButton)
    dialog = _dialog(window)
    assert window.mode == "door" and not window.header.buttons["admin"].isChecked()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels: nothing changes
    assert window.mode == "door"
    qtbot.mouseClick(window.header.buttons["admin"], Qt.MouseButton.LeftButton)
    _sign_in(qtbot, _dialog(window), "demo-admin", demo_accounts(venue_dir)["demo-admin"])
    qtbot.waitUntil(lambda: window.mode == "admin" and not window.locked, timeout=10_000)
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

    def request(
        self, parent: QWidget, what: tuple[str, str], granted: object, action: str = ""
    ) -> None:
        self.asked.append(what)
        self.grant = lambda: granted(None)  # type: ignore[operator]


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
