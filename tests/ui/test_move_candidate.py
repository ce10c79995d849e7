"""考生换机 on screen: an interrupted candidate's attempt written to a USB file on the old
station (which stops it there) and read on the spare station of the same venue, by signed-in
invigilators named in the events; the candidate then signs in on the spare and finds every
answer. A repeated or damaged file is refused in words (zh, en) and changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from examkiosk.app.cli_exam import _check_in_simulated as check_in_simulated
from examkiosk.app.demo_venue import build_demo_venue, demo_accounts
from examkiosk.core.accounts import Accounts
from examkiosk.core.authz import Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.provision import open_station
from examkiosk.core.roster import all_candidates
from examkiosk.core.station import Station
from examkiosk.store.layout import DataDir
from examkiosk.ui.admin.invigilator import InvigilatorTools
from examkiosk.ui.admin.move import MovePanel
from examkiosk.ui.i18n import set_language
from examkiosk.ui.ops import Operations
from examkiosk.ui.signin import OpenGuard
from examkiosk.ui.widgets import start_folder


@pytest.fixture(scope="module")
def venue_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("move")
    build_demo_venue(
        root / "door", faces_dir=None, candidates=3, items=6, spare_dirs=(root / "spare",)
    ).station.close()
    return root


def opened(data_dir: Path) -> Station:
    return open_station(data_dir, DataDir(data_dir).demo_passphrase.read_text().strip())


@pytest.fixture
def venue(venue_template: Path, tmp_path: Path) -> Path:
    shutil.copytree(venue_template, tmp_path / "venue")
    return tmp_path / "venue"


@pytest.fixture
def station(venue: Path) -> Iterator[Station]:  # the old station (the ops fixture uses it)
    door = opened(venue / "door")
    yield door
    door.close()


@pytest.fixture
def spare(venue: Path) -> Iterator[Station]:
    station = opened(venue / "spare")
    yield station
    station.close()


def invigilator(station: Station, data_dir: Path, number: str = "demo-inv1") -> Person:
    return Accounts(station).sign_in(number, demo_accounts(data_dir)[number])


def panel_on(qtbot: QtBot, station: Station, ops: Operations) -> MovePanel:
    tools = InvigilatorTools(station, ops, OpenGuard())
    qtbot.addWidget(tools)
    tools.show_tab("move")
    tools.show()
    return tools.move_panel


def test_a_candidate_moves_to_the_spare_station(
    qtbot: QtBot, station: Station, spare: Station, ops: Operations, venue: Path, tmp_path: Path
) -> None:
    candidate = all_candidates(station.store)[0]
    check_in_simulated(station, candidate.ticket, OpenGuard.person)
    seat = ExamEngine(station)
    attempt = seat.login(candidate.ticket, candidate.id_number)
    first_item = seat.paper().items()[0].item_id
    seat.save_answer(attempt.attempt_id, first_item, ["A"])

    old = panel_on(qtbot, station, ops)
    qtbot.waitUntil(lambda: len(old.rows) == 1, timeout=10_000)
    assert not old.export_button.isEnabled(), "nothing picked yet"
    old.attempts.setCurrentRow(0)
    assert old.export_button.isEnabled() and candidate.name in old.attempts.item(0).text()
    usb = tmp_path / "usb"
    usb.mkdir()
    file = usb / f"{candidate.ticket}.eka"
    old.export_to(file, old.rows[0], invigilator(station, venue / "door"))
    qtbot.waitUntil(lambda: "已写入并读回校验" in old.result.text(), timeout=15_000)
    assert "本机已停止该考生作答" in old.result.text() and file.exists()
    out = next(e for e in station.events() if e.type == "attempt.transferred_out")
    assert out.payload["by"] == "demo-inv1"
    assert seat.attempt(attempt.attempt_id).state == "transferred"
    qtbot.waitUntil(lambda: "已转出" in old.attempts.item(0).text(), timeout=10_000)

    new = panel_on(qtbot, spare, ops)
    qtbot.waitUntil(lambda: new.attempts.count() == 1 and not new.rows, timeout=10_000)
    new.import_from(file, invigilator(spare, venue / "spare", "demo-inv2"))
    qtbot.waitUntil(lambda: "已导入" in new.result.text(), timeout=15_000)
    assert candidate.name in new.result.text() and "已答 1 题" in new.result.text()
    arrived = next(e for e in spare.events() if e.type == "attempt.transferred_in")
    assert arrived.payload["by"] == "demo-inv2"
    moved = ExamEngine(spare).login(candidate.ticket, candidate.id_number)
    assert ExamEngine(spare).answers(moved.attempt_id)[first_item] == ["A"]

    # The same file again: refused in words, nothing changed.
    events = len(spare.events())
    new.import_from(file, invigilator(spare, venue / "spare", "demo-inv2"))
    qtbot.waitUntil(lambda: "未做任何改动" in new.result.text(), timeout=15_000)
    assert new.import_button.isEnabled() and not new.busy.isVisible()
    refused = spare.events()[events:]
    assert [e.type for e in refused if not e.type.startswith("audit.sign")] == [
        "audit.attempt_transfer_refused"
    ]
    assert ExamEngine(spare).answers(moved.attempt_id)[first_item] == ["A"]


def test_a_damaged_file_is_refused_in_either_language(
    qtbot: QtBot, station: Station, ops: Operations, venue: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.eka"
    broken.write_bytes(b"EKATTEMPT1\n" + b"\x00" * 64)
    panel = panel_on(qtbot, station, ops)
    before = station.store.query("SELECT count(*) FROM attempts")[0][0]
    panel.import_from(broken, invigilator(station, venue / "door"))
    qtbot.waitUntil(lambda: "转移文件已损坏" in panel.result.text(), timeout=15_000)
    set_language("en")
    panel.import_from(tmp_path / "gone.eka", invigilator(station, venue / "door"))
    qtbot.waitUntil(lambda: "cannot be read" in panel.result.text(), timeout=15_000)
    QApplication.processEvents()
    assert station.store.query("SELECT count(*) FROM attempts")[0][0] == before


def test_the_buttons_open_chinese_file_dialogs_on_the_usb_folder(
    qtbot: QtBot, station: Station, ops: Operations, tmp_path: Path
) -> None:
    """写入U盘… through the guard and Qt's own file dialog (in Chinese, opening where
    `start_folder` points: the first removable drive, else the home folder), answered as a
    person would: the file name typed, 保存 pressed."""
    # Qt's file dialog remembers its folders in the user's settings: keep them in the test's
    # own folder, not in the home of whoever runs the tests.
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    candidate = all_candidates(station.store)[0]
    check_in_simulated(station, candidate.ticket, OpenGuard.person)
    ExamEngine(station).login(candidate.ticket, candidate.id_number)
    panel = panel_on(qtbot, station, ops)
    qtbot.waitUntil(lambda: len(panel.rows) == 1, timeout=10_000)
    panel.attempts.setCurrentRow(0)
    file = tmp_path / "chosen.eka"
    seen: dict[str, object] = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(50, answer)
            return
        seen["folder"] = Path(dialog.directory().absolutePath())
        seen["title"] = dialog.windowTitle()
        seen["buttons"] = " ".join(b.text() for b in dialog.findChildren(QPushButton))
        name = dialog.findChild(QLineEdit, "fileNameEdit")  # where a person types the name
        assert name is not None
        name.setText(str(file))
        dialog.accept()

    QTimer.singleShot(50, answer)
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已写入并读回校验" in panel.result.text(), timeout=15_000)
    assert file.exists(), panel.result.text()
    assert seen["folder"] == start_folder(writable=True)
    assert seen["title"] == "把作答写入U盘"
    assert "取消" in str(seen["buttons"]), seen["buttons"]
    assert (
        next(e for e in station.events() if e.type == "attempt.transferred_out").payload["by"]
        == OpenGuard.person.staff_number
    )
