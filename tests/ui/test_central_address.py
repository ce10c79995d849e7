"""Setting the centre's address on the admin screen: only a venue administrator (an
invigilator signed in is asked for one), checked as typed (https required; plain http only
to this machine with the development switch), Enter saves and Esc cancels, the old and new
values audited with the person's name; the sync card says in words where things stand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.app.demo_venue import demo_accounts
from examkiosk.core.accounts import Accounts
from examkiosk.core.station import Station
from examkiosk.core.sync_state import load_state
from examkiosk.ui.admin.central_dialog import CentralAddressDialog
from examkiosk.ui.admin.screen import AdminScreen
from examkiosk.ui.i18n import set_language
from examkiosk.ui.ops import Operations
from examkiosk.ui.signin import StaffGuard, StaffSession

Return, Escape = Qt.Key.Key_Return, Qt.Key.Key_Escape


@pytest.fixture
def admin(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> Iterator[AdminScreen]:
    accounts = Accounts(station)
    session = StaffSession(accounts.any_accounts)
    session.set(accounts.sign_in("demo-inv1", demo_accounts(venue_dir)["demo-inv1"]))
    screen = AdminScreen(station, ops, None, guard=StaffGuard(accounts, ops, session))
    qtbot.addWidget(screen)
    screen.resize(1366, 700)
    screen.show()
    qtbot.waitUntil(lambda: screen.summary is not None, timeout=10_000)
    yield screen


def address_dialog(qtbot: QtBot, admin: AdminScreen) -> CentralAddressDialog:
    qtbot.waitUntil(lambda: admin.sync_panel.address_dialog is not None, timeout=10_000)
    dialog = admin.sync_panel.address_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def type_url(qtbot: QtBot, dialog: CentralAddressDialog, url: str) -> None:
    dialog.url.clear()
    qtbot.keyClicks(dialog.url, url)


def audited(station: Station) -> list[dict[str, object]]:
    rows = station.store.query(
        "SELECT payload_json FROM events WHERE type = 'audit.sync_settings_changed' ORDER BY seq"
    )
    return [json.loads(r[0]) for r in rows]


def test_setting_the_address_with_the_keyboard(
    qtbot: QtBot, admin: AdminScreen, station: Station, venue_dir: Path
) -> None:
    panel = admin.sync_panel
    assert (
        panel.sync_words.text() == "尚未设置考试中心地址；" + panel.sync_words.text().split("；")[1]
    )
    # "Sync now" without an address points at the button, not at a command-line option.
    admin.sync_now()
    qtbot.waitUntil(lambda: "设置考试中心地址" in admin.sync_result.text(), timeout=10_000)
    assert "--central" not in admin.sync_result.text()

    # The invigilator signed in may not; a venue administrator signs in with Enter.
    qtbot.mouseClick(panel.address_button, Qt.MouseButton.LeftButton)
    guard = admin.guard
    assert isinstance(guard, StaffGuard) and guard.dialog is not None
    assert panel.address_dialog is None
    qtbot.keyClicks(guard.dialog.number, "demo-admin")
    qtbot.keyClicks(guard.dialog.password, demo_accounts(venue_dir)["demo-admin"])
    qtbot.keyClick(guard.dialog.password, Return)
    dialog = address_dialog(qtbot, admin)

    # Checked as typed; Enter on a refused address saves nothing.
    type_url(qtbot, dialog, "http://sync.example.cn:8470")
    assert "https://" in dialog.problem.text()
    qtbot.keyClick(dialog.url, Return)
    assert dialog.isVisible() and audited(station) == []
    type_url(qtbot, dialog, "http://127.0.0.1:8470")
    assert "开发开关" in dialog.problem.text()
    type_url(qtbot, dialog, "sync.example.cn")
    assert "无效" in dialog.problem.text()
    type_url(qtbot, dialog, "https://sync.example.cn:8470/")
    assert dialog.problem.text() == ""
    qtbot.keyClick(dialog.url, Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)

    assert load_state(station).central_url == "https://sync.example.cn:8470"
    [change] = audited(station)
    assert change["by"] == "demo-admin"
    assert change["central_url"] == ["", "https://sync.example.cn:8470"]
    qtbot.waitUntil(lambda: "sync.example.cn" in admin.sync_info.text(), timeout=10_000)
    assert panel.sync_words.text().startswith("从未联系过中心")
    assert "已保存" in admin.sync_result.text()

    # Esc cancels: nothing changes.
    panel.edit(guard.session.person)
    dialog = address_dialog(qtbot, admin)
    assert dialog.url.text() == "https://sync.example.cn:8470"
    type_url(qtbot, dialog, "https://other.example.cn")
    qtbot.keyClick(dialog.url, Escape)
    assert not dialog.isVisible()
    assert load_state(station).central_url == "https://sync.example.cn:8470"
    assert len(audited(station)) == 1

    # The development switch: plain http to this machine only, shown in red on the card.
    panel.edit(guard.session.person)
    dialog = address_dialog(qtbot, admin)
    type_url(qtbot, dialog, "http://127.0.0.1:8470")
    dialog.plain_http.setChecked(True)
    assert dialog.problem.text() == ""
    qtbot.keyClick(dialog.url, Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert audited(station)[-1]["dev_plain_http"] == [False, True]
    qtbot.waitUntil(lambda: "开发开关" in admin.sync_info.text(), timeout=10_000)

    set_language("en")
    admin.retranslate()
    assert panel.sync_words.text().startswith("Never in contact with the centre")
    assert "development switch" in admin.sync_info.text()


def test_refused_to_an_invigilator_and_for_a_file_that_is_no_certificate(
    qtbot: QtBot, admin: AdminScreen, station: Station, tmp_path: Path, venue_dir: Path
) -> None:
    panel = admin.sync_panel
    # The core checks the person too, whatever the screen was handed.
    dialog = panel.edit(admin.guard.session.person)  # type: ignore[union-attr]
    qtbot.waitExposed(dialog)
    type_url(qtbot, dialog, "https://sync.example.cn")
    qtbot.keyClick(dialog.url, Return)
    qtbot.waitUntil(lambda: "没有此权限" in dialog.problem.text(), timeout=10_000)
    dialog.reject()

    not_a_certificate = tmp_path / "centre.pem"
    not_a_certificate.write_text("hello")
    administrator = Accounts(station).sign_in("demo-admin", demo_accounts(venue_dir)["demo-admin"])
    dialog = panel.edit(administrator)
    qtbot.waitExposed(dialog)
    type_url(qtbot, dialog, "https://sync.example.cn")
    dialog.ca_file.setText(str(not_a_certificate))
    qtbot.keyClick(dialog.url, Return)
    qtbot.waitUntil(lambda: "不是证书" in dialog.problem.text(), timeout=10_000)
    assert dialog.isVisible() and load_state(station).central_url == ""
    assert audited(station) == []


def test_saving_the_address_starts_syncing_there(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path, passphrase: str
) -> None:
    """The background sync, idle without an address, syncs with the centre (a real one on
    127.0.0.1) once the address is saved on screen, and the card says so in words."""
    from examkiosk.ui.background_sync import BackgroundSync
    from sync.central.home import CentralHome
    from sync.central.server import BackgroundServer

    background = BackgroundSync(station, ops, interval=3600)
    assert background.start() is False
    accounts = Accounts(station)
    session = StaffSession(accounts.any_accounts)
    session.set(accounts.sign_in("demo-admin", demo_accounts(venue_dir)["demo-admin"]))
    screen = AdminScreen(
        station, ops, None, background=background, guard=StaffGuard(accounts, ops, session)
    )
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.summary is not None, timeout=10_000)
    home = CentralHome(venue_dir / "central")
    with BackgroundServer(home, home.unlock(passphrase)) as server:
        try:
            qtbot.mouseClick(screen.sync_panel.address_button, Qt.MouseButton.LeftButton)
            dialog = address_dialog(qtbot, screen)  # demo-admin is signed in: no second ask
            type_url(qtbot, dialog, server.url)
            dialog.plain_http.setChecked(True)  # the test centre listens on plain http
            qtbot.keyClick(dialog.url, Return)
            qtbot.waitUntil(lambda: screen.live is not None and screen.live.online, timeout=30_000)
            qtbot.waitUntil(
                lambda: "全部结果已送达中心" in screen.sync_panel.sync_words.text(),
                timeout=30_000,
            )
        finally:
            background.stop()
    row = next(s for s in home.report()["stations"] if s["station_id"] == station.station_id)
    assert row["events"]["count"] == len(station.events())
