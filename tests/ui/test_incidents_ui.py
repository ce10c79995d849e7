"""监考事件 in 监考工具: the incidents a seat camera recorded, with their snapshots (thumbnail,
enlarged), acknowledged with a note by an invigilator who signs in through the real staff
guard with the keyboard (Enter confirms, Esc cancels); the count waiting shows on the tab
and on the admin screen's tools button, and the audit event names the person."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from examkiosk.app.demo_venue import demo_accounts
from examkiosk.core.accounts import Accounts
from examkiosk.core.face_check import FaceService
from examkiosk.core.station import Station
from examkiosk.ui.admin.incidents import SnapshotDialog
from examkiosk.ui.admin.screen import AdminScreen
from examkiosk.ui.i18n import set_language
from examkiosk.ui.ops import Operations
from examkiosk.ui.signin import StaffGuard, StaffSession
from tests.ui.incident_helpers import record_incidents

Return, Escape = Qt.Key.Key_Return, Qt.Key.Key_Escape


@pytest.fixture
def guarded_admin(qtbot: QtBot, station: Station, ops: Operations) -> Iterator[AdminScreen]:
    accounts = Accounts(station)
    guard = StaffGuard(accounts, ops, StaffSession(accounts.any_accounts))
    screen = AdminScreen(station, ops, None, guard=guard)
    qtbot.addWidget(screen)
    screen.resize(1366, 700)
    screen.show()
    yield screen


def test_acknowledging_an_incident_with_the_keyboard(
    qtbot: QtBot,
    guarded_admin: AdminScreen,
    station: Station,
    venue_dir: Path,
    face_service: FaceService,
) -> None:
    seat = record_incidents(station, face_service)
    admin = guarded_admin
    admin.refresh()
    qtbot.waitUntil(lambda: "2 条监考事件待处理" in admin.tools_button.text(), timeout=10_000)

    tools = admin.open_tools()
    tools.show_tab("incidents")
    panel = tools.incidents
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10_000)
    assert panel.count.text() == "待处理 2 条（共 2 条）"
    assert "2 待处理" in tools.tabs.tabText(1)
    # Newest first: the camera without a picture, then the empty seat with its snapshot.
    assert panel.table.item(0, 3).text() == "摄像头无画面"
    assert panel.table.item(0, 0).text() == "无照片"
    assert panel.table.item(1, 3).text() == "座位无人"
    assert not panel.table.item(1, 0).icon().isNull(), "no thumbnail of the snapshot"
    assert seat in panel.table.item(1, 2).text()

    panel.table.setCurrentCell(1, 0)
    assert panel.photo.has_picture() and "座位" in panel.message.text()
    big = panel.enlarge()
    assert isinstance(big, SnapshotDialog)
    qtbot.waitExposed(big)
    assert big.photo.has_picture()
    qtbot.keyClick(big, Escape)
    assert not big.isVisible()

    # Enter with no note: said at once, nothing recorded, no sign-in asked.
    events = len(station.events())
    panel.note.setFocus()
    qtbot.keyClick(panel.note, Return)
    assert "请先写下处理情况" in panel.result.text()
    assert len(station.events()) == events

    # A note, Enter: the guard asks for a sign-in; Esc cancels and nothing is recorded.
    panel.note.insert("已到座位查看，考生去洗手间，监考员陪同")  # as an input method commits it
    qtbot.keyClick(panel.note, Return)
    guard = admin.guard
    assert isinstance(guard, StaffGuard)
    qtbot.waitUntil(lambda: guard.dialog is not None, timeout=5_000)
    dialog = guard.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog.number, Escape)
    assert not dialog.isVisible()
    assert len(station.events()) == events, "a cancelled sign-in records nothing"

    qtbot.keyClick(panel.note, Return)
    qtbot.waitUntil(lambda: guard.dialog is not dialog, timeout=5_000)
    dialog = guard.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.number, "demo-inv1")
    qtbot.keyClicks(dialog.password, demo_accounts(venue_dir)["demo-inv1"])
    qtbot.keyClick(dialog.password, Return)
    qtbot.waitUntil(lambda: "已记录" in panel.result.text(), timeout=15_000)
    qtbot.waitUntil(lambda: panel.count.text() == "待处理 1 条（共 2 条）", timeout=10_000)
    assert "已处理" in panel.table.item(1, 4).text() and "洗手间" in panel.table.item(1, 4).text()

    event = next(e for e in reversed(station.events()) if e.type == "audit.incident_acknowledged")
    assert event.payload["by"] == "demo-inv1" and event.payload["note"].startswith("已到座位")
    incident = station.store.query(
        "SELECT payload_json FROM events WHERE seq = ?", (event.payload["incident_seq"],)
    )
    assert json.loads(incident[0][0])["kind"] == "absent"
    qtbot.waitUntil(lambda: "1 条监考事件待处理" in admin.tools_button.text(), timeout=10_000)
    assert "1 待处理" in tools.tabs.tabText(1)

    # The acknowledged row cannot be acknowledged again from the screen; English on request.
    panel.table.setCurrentCell(1, 0)
    assert not panel.ack_button.isEnabled() and not panel.note.isEnabled()
    set_language("en")
    tools.retranslate()
    QApplication.processEvents()
    assert panel.count.text() == "1 waiting of 2"
    assert panel.table.item(0, 3).text() == "No camera picture"
