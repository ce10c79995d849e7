"""The admin screen's operations: the inspection as a readable page exported as PDF, a backup
made now and shown, the statistics with an XLSX export; automatic backups when due."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pytestqt.qtbot import QtBot

from examkiosk.core.backup import verify_backup
from examkiosk.core.backup_schedule import BackupSchedule, save_schedule
from examkiosk.core.station import Station
from examkiosk.ui.admin.operations import AutoBackupTimer, OperationsPanel
from examkiosk.ui.admin.screen import AdminScreen
from examkiosk.ui.ops import Operations
from examkiosk.ui.window import KioskWindow


@pytest.fixture
def panel(qtbot: QtBot, station: Station, ops: Operations) -> Iterator[OperationsPanel]:
    screen = AdminScreen(station, ops, None)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    found = screen.findChild(OperationsPanel)
    assert found is not None  # the admin screen carries the panel
    qtbot.waitUntil(lambda: "尚未备份" in found.backup_info.text(), timeout=10_000)
    yield found
    if found.page is not None:
        found.page.close()


def test_inspection_opens_a_readable_page_and_exports_a_pdf(
    qtbot: QtBot, panel: OperationsPanel, station: Station, tmp_path: Path
) -> None:
    panel.inspect_button.click()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=60_000)
    assert panel.page is not None and panel.page.isVisible()
    text = panel.page.page.toPlainText()
    assert "数据库完整性" in text and "事件链" in text and "人脸比对自检" in text
    assert station.events()[-1].type == "inspection.done"
    pdf = tmp_path / "inspection.pdf"
    panel.export_report(pdf)
    qtbot.waitUntil(lambda: pdf.exists(), timeout=30_000)
    assert pdf.read_bytes().startswith(b"%PDF-")
    qtbot.keyClick(panel.page, "\x1b")  # Esc closes the page
    assert not panel.page.isVisible()


def test_back_up_now_writes_a_verified_backup_and_shows_it(
    qtbot: QtBot, panel: OperationsPanel, passphrase: str, tmp_path: Path
) -> None:
    panel.back_up_to(tmp_path)
    qtbot.waitUntil(lambda: "上次备份" in panel.backup_info.text(), timeout=30_000)
    backups = list(tmp_path.glob("*.ekbak"))
    assert len(backups) == 1 and str(backups[0]) in panel.backup_info.text()
    assert verify_backup(backups[0], passphrase).opened
    assert "已写入并校验" in panel.result.text()


def test_statistics_page_and_xlsx_export(
    qtbot: QtBot, panel: OperationsPanel, station: Station, tmp_path: Path
) -> None:
    panel.stats_button.click()
    qtbot.waitUntil(lambda: panel.stats is not None, timeout=30_000)
    assert panel.page is not None and "考生到场" in panel.page.page.toPlainText()
    out = tmp_path / "stats.xlsx"
    panel.export_stats(out)
    qtbot.waitUntil(lambda: out.exists(), timeout=30_000)
    assert load_workbook(out)["attendance"]["B3"].value == 20  # the demo roster
    assert station.events()[-1].type == "audit.stats.export"


def test_automatic_backup_when_due(
    qtbot: QtBot, panel: OperationsPanel, station: Station, tmp_path: Path
) -> None:
    save_schedule(station, BackupSchedule(str(tmp_path), every_minutes=5, keep=2))
    panel.run_auto_backup()
    qtbot.waitUntil(lambda: len(list(tmp_path.glob("*.ekbak"))) == 1, timeout=30_000)
    qtbot.waitUntil(lambda: "自动备份每 5 分钟" in panel.backup_info.text(), timeout=10_000)
    panel.run_auto_backup()  # not due again for five minutes
    qtbot.wait(500)
    assert len(list(tmp_path.glob("*.ekbak"))) == 1


@pytest.fixture
def window(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> Iterator[KioskWindow]:
    """The kiosk window as `examkiosk run` builds it (door mode), as in tests/ui/test_window."""
    from examkiosk.core.accounts import Accounts
    from examkiosk.store.layout import DataDir
    from examkiosk.ui.app import SharedFace, build_window, demo_devices
    from examkiosk.ui.passphrase import PassphraseGuard
    from examkiosk.ui.signin import StaffGuard, StaffSession

    devices = demo_devices(venue_dir)
    accounts = Accounts(station)
    session = StaffSession(accounts.any_accounts)
    guard = StaffGuard(accounts, ops, session, PassphraseGuard(DataDir(venue_dir).keyslots, ops))
    built = build_window(station, ops, devices, guard, None, SharedFace(), session=session)
    qtbot.addWidget(built)
    built.show()
    yield built
    built.shutdown()
    devices.feed.close()


def test_the_window_backs_up_in_every_mode(
    qtbot: QtBot, window: KioskWindow, station: Station, tmp_path: Path
) -> None:
    save_schedule(station, BackupSchedule(str(tmp_path), every_minutes=5, keep=2))
    timer = window.findChild(AutoBackupTimer)
    assert timer is not None and timer.timer.isActive()  # the door is showing, not admin
    timer.tick()
    qtbot.waitUntil(lambda: len(list(tmp_path.glob("*.ekbak"))) == 1, timeout=30_000)


def test_a_tick_after_the_window_closed_stops_quietly(
    qtbot: QtBot, station: Station, themed_app: object
) -> None:
    ops = Operations()
    timer = AutoBackupTimer(station, ops)
    ops.shutdown()
    timer.tick()  # no exception reaches the Qt event loop
    assert not timer.timer.isActive()
