"""The set-up page of a fresh install, driven with real key events: a weak passphrase or a
missing key file is refused with nothing written; a strong one provisions the station, whose
recovery sheet and public keys are saved for the venue and the centre."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.core.provision import open_station
from examkiosk.store.layout import DataDir
from examkiosk.ui.ops import Operations
from examkiosk.ui.setup.page import SetupPage, find_central_keys
from sync.crypto import KeyPair, PublicKeys
from sync.media import Volume

CENTRAL = KeyPair.generate()
STRONG = "lantern orbit 47 quietly marble"


@pytest.fixture
def usb(tmp_path: Path) -> Path:
    drive = tmp_path / "usb"
    drive.mkdir()
    (drive / "central-keys.json").write_text(json.dumps(CENTRAL.public().to_dict()))
    return drive


@pytest.fixture
def page(qtbot: QtBot, themed_app: object, tmp_path: Path) -> Iterator[SetupPage]:
    ops = Operations()
    widget = SetupPage(tmp_path / "data", ops)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    ops.shutdown()


def _type(qtbot: QtBot, field: object, text: str) -> None:
    field.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(field, text)


def _fill(qtbot: QtBot, page: SetupPage, usb: Path, passphrase: str, confirm: str) -> None:
    _type(qtbot, page.station_id, "ST-0101-01")
    _type(qtbot, page.venue, "V0101")
    _type(qtbot, page.central_path, str(usb / "central-keys.json"))
    _type(qtbot, page.passphrase, passphrase)
    _type(qtbot, page.confirm, confirm)


def test_a_weak_passphrase_is_shown_weak_and_refused(
    qtbot: QtBot, page: SetupPage, usb: Path, tmp_path: Path
) -> None:
    _fill(qtbot, page, usb, "password1234", "password1234")
    assert "太弱" in page.meter_text.text()
    qtbot.keyClick(page.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: "口令" in page.error.text() and page.submit_button.isEnabled(), timeout=10_000
    )
    assert not DataDir(tmp_path / "data").exists() and page.station is None


def test_mismatched_passphrases_and_missing_keys_are_refused(
    qtbot: QtBot, page: SetupPage, usb: Path, tmp_path: Path
) -> None:
    _fill(qtbot, page, usb, STRONG, STRONG + "x")
    qtbot.keyClick(page.confirm, Qt.Key.Key_Return)
    assert "不一致" in page.error.text()
    _fill(qtbot, page, usb, STRONG, STRONG)
    _type(qtbot, page.central_path, str(usb / "nothing-here.json"))
    qtbot.keyClick(page.central_path, Qt.Key.Key_Return)
    assert "公钥" in page.error.text()
    assert not (tmp_path / "data").exists()


def test_a_strong_passphrase_provisions_and_the_sheet_is_saved(
    qtbot: QtBot, page: SetupPage, usb: Path, tmp_path: Path
) -> None:
    _fill(qtbot, page, usb, STRONG, STRONG)
    assert "足够强" in page.meter_text.text() and page.meter.value() >= 40
    with qtbot.waitSignal(page.provisioned, timeout=30_000):
        qtbot.keyClick(page.confirm, Qt.Key.Key_Return)
    station = page.station
    assert station is not None and station.station_id == "ST-0101-01"
    assert station.central_keys() == CENTRAL.public()
    assert page.passphrase.text() == "" and "ST-0101-01" in page.done_text.text()
    keys = page.save_sheet(usb / "recovery-sheet.pdf")
    assert (usb / "recovery-sheet.pdf").read_bytes()[:5] == b"%PDF-"
    registered = json.loads(keys.read_text())
    assert registered["station_id"] == "ST-0101-01"
    assert PublicKeys.from_dict(registered["public"]) == station.keys().public()
    with qtbot.waitSignal(page.finished, timeout=5000) as opened:
        page.continue_button.setFocus()
        qtbot.keyClick(page.continue_button, Qt.Key.Key_Space)
    assert opened.args == [station]
    station.close()
    # The passphrase chosen on the page is the one that opens the station's store.
    open_station(tmp_path / "data", STRONG).close()


def test_language_switches_the_page_to_english(qtbot: QtBot, page: SetupPage) -> None:
    page.language.setFocus()
    qtbot.keyClick(page.language, Qt.Key.Key_Down)
    assert page.submit_button.text() == "Provision this station"
    assert page.mode.itemText(0) == "Door check-in"


def test_the_centre_keys_are_found_on_a_usb_drive(usb: Path) -> None:
    drive = Volume("/dev/sdb1", usb, "vfat", "KEYS", False, 1 << 30, 1 << 29)
    assert find_central_keys([drive]) == usb / "central-keys.json"
    assert find_central_keys([]) is None
