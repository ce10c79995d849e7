"""The audit viewer on the admin screen: only a venue administrator opens it; entries name
the people who acted; filters narrow them; the export is a real XLSX; viewing is audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.app.demo_venue import demo_accounts
from examkiosk.core.accounts import Accounts, SignInRefused
from examkiosk.core.station import Station
from examkiosk.ui.admin.screen import AdminScreen
from examkiosk.ui.ops import Operations
from examkiosk.ui.signin import StaffGuard, StaffSession


@pytest.fixture
def admin(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> Iterator[AdminScreen]:
    accounts = Accounts(station)
    session = StaffSession(accounts.any_accounts)
    passwords = demo_accounts(venue_dir)
    session.set(accounts.sign_in("demo-inv1", passwords["demo-inv1"]))
    with pytest.raises(SignInRefused):
        accounts.sign_in("demo-inv2", "Wrong-Guess#1")
    screen = AdminScreen(station, ops, None, guard=StaffGuard(accounts, ops, session))
    qtbot.addWidget(screen)
    screen.resize(1366, 700)
    screen.show()
    yield screen


def test_an_invigilator_is_asked_for_an_administrator(
    qtbot: QtBot, admin: AdminScreen, venue_dir: Path
) -> None:
    qtbot.mouseClick(admin.audit_button, Qt.MouseButton.LeftButton)
    guard = admin.guard
    assert isinstance(guard, StaffGuard) and guard.dialog is not None
    dialog = guard.dialog
    assert admin.audit_dialog is None  # the invigilator signed in may not read it
    dialog.number.setText("demo-inv1")
    qtbot.keyClicks(dialog.password, demo_accounts(venue_dir)["demo-inv1"])
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "没有此权限" in dialog.error.text(), timeout=10_000)
    dialog.number.setText("demo-admin")
    qtbot.keyClicks(dialog.password, demo_accounts(venue_dir)["demo-admin"])
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: admin.audit_dialog is not None, timeout=10_000)
    viewer = admin.audit_dialog
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.table.rowCount() > 0, timeout=10_000)
    people = {viewer.table.item(r, 1).text() for r in range(viewer.table.rowCount())}
    actions = {viewer.table.item(r, 3).text() for r in range(viewer.table.rowCount())}
    assert {"demo-inv1", "demo-inv2"} <= people
    assert {"signed_in", "signin_failed", "refused"} <= actions


def test_filter_and_export(
    qtbot: QtBot, admin: AdminScreen, station: Station, tmp_path: Path, venue_dir: Path
) -> None:
    person = Accounts(station).sign_in("demo-admin", demo_accounts(venue_dir)["demo-admin"])
    viewer = admin.show_audit(person)
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.table.rowCount() > 0, timeout=10_000)
    viewer.by.setText("demo-inv2")
    qtbot.mouseClick(viewer.search, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: viewer.entries and {e.by for e in viewer.entries} == {"demo-inv2"},
        timeout=10_000,
    )
    out = tmp_path / "audit.xlsx"
    viewer.export_to(out)
    qtbot.waitUntil(lambda: "已导出" in viewer.status.text(), timeout=10_000)
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "工号 staff" and len(rows) == len(viewer.entries) + 1
    assert all(row[2] == "demo-inv2" for row in rows[1:])
    types = [e.type for e in station.events()]
    assert "audit.audit_viewed" in types and types[-1] == "audit.audit_exported"
