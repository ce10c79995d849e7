"""The administrator screen: station status, bundle export and package import, each with
progress and cancel, refusing damaged files without touching the store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from examkiosk.core.station import Station
from examkiosk.ui.admin.screen import AdminScreen
from examkiosk.ui.ops import Operations
from sync.bundle import inspect_bundle


@pytest.fixture
def admin(qtbot: QtBot, station: Station, ops: Operations) -> Iterator[AdminScreen]:
    screen = AdminScreen(station, ops, None)
    qtbot.addWidget(screen)
    screen.resize(1366, 700)
    screen.show()
    qtbot.waitUntil(lambda: screen.summary is not None, timeout=10_000)
    yield screen


def hold_database(ops: Operations) -> threading.Event:
    """Keep the database worker busy until the returned event is set, so a job queued
    behind it can be cancelled before it starts (no race with a fast job)."""
    gate = threading.Event()
    ops.run(lambda job: gate.wait(10))
    return gate


def counts(station: Station) -> tuple[int, int]:
    return (
        station.store.query("SELECT count(*) FROM events")[0][0],
        station.store.query("SELECT count(*) FROM candidates")[0][0],
    )


def package_of(venue_dir: Path) -> Path:
    return next((venue_dir / "packages").glob("*.ekp"))


def test_shows_station_venue_exam_and_event_count(admin: AdminScreen, station: Station) -> None:
    text = admin.info.text()
    assert station.station_id in text and station.identity.venue_id in text
    assert "2026年医师资格考试" in text and "20 / 30" in text
    assert f"{len(station.events())}" in admin.sync_info.text()
    assert "尚未导出" in admin.sync_info.text()


def test_export_writes_a_verified_bundle_and_shows_it(
    qtbot: QtBot, admin: AdminScreen, station: Station, tmp_path: Path
) -> None:
    out = tmp_path / "usb" / "bundle.ekb"
    out.parent.mkdir()
    with qtbot.waitSignal(admin.bundle_exported, timeout=30_000):
        admin.export_to(out)
    assert "已写入并读回校验" in admin.export_result.text()
    assert inspect_bundle(out).event_count == len(station.events())
    qtbot.waitUntil(lambda: "bundle.ekb" in admin.sync_info.text(), timeout=10_000)
    assert admin.import_button.isEnabled() and admin.export_button.isEnabled()
    assert not admin.export_progress.isVisible()


def test_cancelled_export_leaves_no_file(
    qtbot: QtBot, admin: AdminScreen, ops: Operations, tmp_path: Path
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    gate = hold_database(ops)
    admin.export_to(usb / "bundle.ekb")
    assert admin.export_progress.isVisible() and not admin.export_button.isEnabled()
    admin.export_progress.cancel.click()
    gate.set()
    qtbot.waitUntil(lambda: "已取消" in admin.export_result.text(), timeout=30_000)
    assert list(usb.iterdir()) == []  # neither the bundle nor a temporary file


def test_damaged_package_is_refused_and_changes_nothing(
    qtbot: QtBot, admin: AdminScreen, station: Station, venue_dir: Path, tmp_path: Path
) -> None:
    data = bytearray(package_of(venue_dir).read_bytes())
    data[len(data) // 2] ^= 0x40
    damaged = tmp_path / "damaged.ekp"
    damaged.write_bytes(bytes(data))
    before = counts(station)
    admin.import_file(damaged)
    qtbot.waitUntil(
        lambda: bool(admin.import_result.text()) and admin.import_button.isEnabled(), timeout=30_000
    )
    assert "已导入" not in admin.import_result.text()
    assert "color: #b3261e" in admin.import_result.styleSheet()
    assert counts(station) == before


def test_missing_file_is_said_plainly(qtbot: QtBot, admin: AdminScreen, tmp_path: Path) -> None:
    admin.import_file(tmp_path / "gone.ekp")
    qtbot.waitUntil(lambda: "无法读取所选文件" in admin.import_result.text(), timeout=10_000)


def test_package_import_reports_and_signals(
    qtbot: QtBot, admin: AdminScreen, venue_dir: Path
) -> None:
    with qtbot.waitSignal(admin.package_imported, timeout=60_000) as signal:
        admin.import_file(package_of(venue_dir))
    assert signal.args[0].candidates == 20
    assert "已导入" in admin.import_result.text() and "考生 20 人" in admin.import_result.text()


def test_cancelled_import_changes_nothing(
    qtbot: QtBot, admin: AdminScreen, station: Station, ops: Operations, venue_dir: Path
) -> None:
    before = counts(station)
    gate = hold_database(ops)
    admin.import_file(package_of(venue_dir))
    admin.import_progress.cancel.click()
    gate.set()
    qtbot.waitUntil(lambda: "已取消" in admin.import_result.text(), timeout=30_000)
    assert counts(station) == before


def test_sync_now_sends_every_event_to_the_centre(
    qtbot: QtBot, admin: AdminScreen, station: Station, venue_dir: Path, passphrase: str
) -> None:
    from examkiosk.core.sync_state import save_central
    from sync.central.home import CentralHome
    from sync.central.server import BackgroundServer

    home = CentralHome(venue_dir / "central")
    with BackgroundServer(home, home.unlock(passphrase)) as server:
        save_central(station, server.url, allow_plain_http=True)
        admin.sync_now()
        qtbot.waitUntil(lambda: "已同步" in admin.sync_result.text(), timeout=30_000)
    row = next(s for s in home.report()["stations"] if s["station_id"] == station.station_id)
    assert row["events"]["count"] == len(station.events())
    qtbot.waitUntil(
        lambda: "全部结果已送达中心" in admin.sync_panel.sync_words.text(), timeout=10_000
    )
    assert "seq" not in admin.sync_result.text() + admin.sync_info.text()
    assert server.url in admin.sync_info.text()
    # The development switch (plain http to this machine) is shown, in red.
    assert "color:#c0392b'><b>开发开关" in admin.sync_info.text()


def test_sync_now_without_a_reachable_centre_says_so_and_keeps_everything(
    qtbot: QtBot, admin: AdminScreen, station: Station
) -> None:
    from examkiosk.core.sync_state import save_central
    from sync.central.server import free_port

    # nothing listens there
    save_central(station, f"http://127.0.0.1:{free_port()}", allow_plain_http=True)
    before = len(station.events())
    admin.sync_now()
    qtbot.waitUntil(lambda: admin.sync_button.isEnabled(), timeout=30_000)
    assert "已同步" not in admin.sync_result.text() and admin.sync_result.text()
    assert len(station.events()) == before
    qtbot.waitUntil(lambda: "从未联系过中心" in admin.sync_panel.sync_words.text(), timeout=10_000)


def test_background_sync_shows_the_station_online_and_empties_the_backlog(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path, passphrase: str
) -> None:
    from examkiosk.core.sync_state import save_central
    from examkiosk.ui.background_sync import BackgroundSync
    from sync.central.home import CentralHome
    from sync.central.server import BackgroundServer

    home = CentralHome(venue_dir / "central")
    background = BackgroundSync(station, ops, interval=3600)
    assert background.start() is False  # no centre configured: nothing runs
    with BackgroundServer(home, home.unlock(passphrase)) as server:
        save_central(station, server.url, allow_plain_http=True)
        screen = AdminScreen(station, ops, None, background=background)
        qtbot.addWidget(screen)
        screen.show()
        assert background.start() is True
        try:
            qtbot.waitUntil(
                lambda: (
                    screen.live is not None
                    and screen.live.online
                    and screen.live.backlog_events == 0
                    and not screen.live.syncing
                ),
                timeout=30_000,
            )
            qtbot.waitUntil(lambda: "在线" in screen.sync_info.text(), timeout=10_000)
        finally:
            background.stop()
    row = next(s for s in home.report()["stations"] if s["station_id"] == station.station_id)
    assert row["events"]["count"] == len(station.events())
