"""The admin screen's update panel: a centre-signed update is checked, then installed after
an administrator signs in; one from another centre is refused before anyone is asked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from examkiosk.core.authz import Person
from examkiosk.core.station import Station
from examkiosk.core.update import Installation
from examkiosk.ui.admin.screen import AdminScreen
from examkiosk.ui.admin.update import UpdatePanel
from examkiosk.ui.ops import Operations
from sync.central.home import CentralHome
from sync.crypto import KeyPair
from tests.core.test_update import make_release, make_update

ADMIN = Person("demo-admin", "管理员", "venue_admin")


class Guard:
    """Stands in for the window's sign-in dialog: records what was asked, signs ADMIN in."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, action: str, what: tuple[str, str], then: Any) -> None:
        self.asked.append(action)
        then(ADMIN)


@pytest.fixture
def install(tmp_path: Path) -> Installation:
    root = tmp_path / "opt"
    make_release(root / "releases" / "0.1.0", "0.1.0")
    (root / "current").symlink_to("releases/0.1.0")
    return Installation(root)


def centre_keys(venue_dir: Path) -> KeyPair:
    home = venue_dir / "central"
    return CentralHome(home).unlock((home / "demo-passphrase").read_text().strip())


def test_signed_update_installs_after_an_administrator_signs_in(
    qtbot: QtBot,
    station: Station,
    ops: Operations,
    install: Installation,
    venue_dir: Path,
    tmp_path: Path,
) -> None:
    guard = Guard()
    panel = UpdatePanel(station, ops, guard, install)
    qtbot.addWidget(panel)
    panel.show()
    assert "0.1.0" in panel.versions.text()
    update = make_update(tmp_path, "0.2.0", signer=centre_keys(venue_dir))
    with qtbot.waitSignal(panel.applied, timeout=30_000):
        panel.apply_file(update)
    assert guard.asked == ["update.apply"]
    assert os.readlink(install.current) == "releases/0.2.0"
    assert "0.2.0" in panel.result.text() and "重新启动" in panel.result.text()
    assert "可回退到 0.1.0" in panel.versions.text()
    assert panel.restart_button.isVisible()
    (event,) = [e.payload for e in station.events() if e.type == "audit.update.apply"]
    assert event["by"] == "demo-admin"


def test_update_from_another_centre_is_refused_before_sign_in(
    qtbot: QtBot, station: Station, ops: Operations, install: Installation, tmp_path: Path
) -> None:
    guard = Guard()
    panel = UpdatePanel(station, ops, guard, install)
    qtbot.addWidget(panel)
    update = make_update(tmp_path, "0.2.0", signer=KeyPair.generate())
    with qtbot.waitSignal(panel.refused, timeout=30_000):
        panel.apply_file(update)
    assert guard.asked == []
    assert os.readlink(install.current) == "releases/0.1.0"
    assert "考试中心" in panel.result.text() or "签名" in panel.result.text(), panel.result.text()
    assert panel.choose_button.isEnabled() and not panel.restart_button.isVisible()


def test_admin_screen_shows_the_update_panel_at_1366x768(
    qtbot: QtBot, station: Station, ops: Operations
) -> None:
    screen = AdminScreen(station, ops, None)
    qtbot.addWidget(screen)
    screen.resize(1366, 700)
    screen.show()
    qtbot.waitUntil(lambda: screen.summary is not None, timeout=10_000)
    button = screen.update_panel.choose_button
    assert button.isVisible() and button.height() >= button.sizeHint().height() - 2
    assert screen.import_button.isVisible() and screen.export_button.isVisible()
