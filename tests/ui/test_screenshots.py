"""Each state of each station mode of the demo venue, on each screen venues have (1366x768,
1280x1024, 1920x1080: tests/ui/screens.json), saved as a PNG and checked to be a real,
usable screen: many colours, Chinese drawn with a CJK font, the window no larger than the
screen, and the controls that matter (放行 / 拒绝入场, 下一题, 交卷...) wholly on screen.

    make screenshots            (PNGs in ./screenshots/<size>/)
    EXAMKIOSK_SCREENSHOTS=DIR QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/ui/test_screenshots.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontInfo, QImage, QPainter, QScreen
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.face_check import FaceService
from examkiosk.core.roster import Candidate, all_candidates
from examkiosk.core.station import Station
from examkiosk.ui import theme
from examkiosk.ui.app import SharedFace, build_window, demo_devices
from examkiosk.ui.door.screen import DoorScreen
from examkiosk.ui.door.sim_card import simulated_card
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat import SeatScreen
from examkiosk.ui.seat.style import FONT_SIZES
from examkiosk.ui.signin import OpenGuard
from examkiosk.ui.window import KioskWindow
from tests.ui.conftest import faces_dir

SIZES = {"1366x768": (1366, 768), "1280x1024": (1280, 1024), "1920x1080": (1920, 1080)}
PASSPORT = "E12345678"


def screen_of(size: tuple[int, int]) -> QScreen:
    for screen in QApplication.screens():
        if (screen.geometry().width(), screen.geometry().height()) == size:
            return screen
    raise AssertionError(
        f"no {size[0]}x{size[1]} screen: run with QT_QPA_PLATFORM=offscreen so that "
        "tests/ui/conftest.py loads tests/ui/screens.json"
    )


@pytest.fixture(params=list(SIZES))
def size_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def shots_dir(request: pytest.FixtureRequest, tmp_path: Path, size_name: str) -> Path:
    chosen = os.environ.get("EXAMKIOSK_SCREENSHOTS")
    try:
        chosen = request.config.getoption("--screenshots-dir") or chosen
    except ValueError:  # the option is registered only when tests/ui is named on the command line
        pass
    folder = (Path(chosen) if chosen else tmp_path / "screenshots") / size_name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def window(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path, size_name: str
) -> Iterator[KioskWindow]:
    # One candidate registered with a passport (a foreign candidate): their card is read
    # as a passport whose chip holds a photo.
    first = all_candidates(station.store)[3]
    with station.store.transaction() as conn:
        conn.execute(
            "UPDATE candidates SET id_number = ? WHERE candidate_id = ?",
            (PASSPORT, first.candidate_id),
        )
    devices = demo_devices(venue_dir)
    built = build_window(station, ops, devices, OpenGuard(), "door", SharedFace())
    qtbot.addWidget(built)
    screen = screen_of(SIZES[size_name])
    built.setScreen(screen)
    built.move(screen.geometry().topLeft())
    built.resize(screen.availableGeometry().size())  # as showFullScreen would
    built.show()
    qtbot.waitExposed(built)
    yield built
    built.shutdown()
    devices.feed.close()
    if devices.seat_camera is not None:
        devices.seat_camera.close()  # an open video left to the interpreter's exit aborts it


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), :3].copy()


def fits_screen(window: KioskWindow) -> None:
    """The window is no larger than its screen, and its layout fits in it (Qt would
    otherwise clip whatever sits at the bottom or right, without a word)."""
    screen = window.screen().availableGeometry().size()
    assert window.width() <= screen.width() and window.height() <= screen.height(), (
        f"window {window.width()}x{window.height()} larger than the screen "
        f"{screen.width()}x{screen.height()}"
    )
    need = window.minimumSizeHint()
    assert need.width() <= window.width() and need.height() <= window.height(), (
        f"the layout needs {need.width()}x{need.height()}, the window is "
        f"{window.width()}x{window.height()}: something is cut off"
    )


def wholly_on_screen(window: KioskWindow, *widgets: QWidget) -> None:
    """Each widget is shown, inside the window, and not clipped by a scroll area."""
    area = window.rect()
    for widget in widgets:
        name = widget.objectName() or type(widget).__name__
        assert widget.isVisible(), f"{name} not visible"
        top_left = widget.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, widget.size())
        assert area.contains(rect), f"{name} at {rect.getRect()} is outside the window {area}"
        shown = widget.visibleRegion().boundingRect()
        assert shown == widget.rect(), f"{name} is partly hidden ({shown} of {widget.rect()})"


def text_not_cut(*labels: QLabel) -> None:
    """Each word-wrapped label got the height its lines need at its width (a layout that
    sizes it for another width cuts the lines in half, which no other check notices)."""
    for label in labels:
        need = label.heightForWidth(label.width())
        assert label.height() >= need, (
            f"{label.objectName() or label.text()[:20]!r} is {label.height()} px high, its "
            f"text needs {need}"
        )


def no_horizontal_scrolling(root: QWidget) -> None:
    for scroll in root.findChildren(QScrollArea):
        if scroll.isVisible():
            bar = scroll.horizontalScrollBar()
            assert bar.maximum() == 0, f"{scroll.objectName()} scrolls sideways by {bar.maximum()}"


def shot(window: KioskWindow, folder: Path, name: str) -> np.ndarray:
    QApplication.processEvents()
    QTest.qWait(50)  # layout requests and deferred deletes settle, as between two frames
    fits_screen(window)
    image = window.grab().toImage()
    path = folder / f"{name}.png"
    assert image.save(str(path)), f"could not write {path}"
    array = pixels(image)
    colours = len(np.unique(array.reshape(-1, 3), axis=0))
    assert colours >= 40, f"{name}: only {colours} colours, the screen looks blank"
    return array


def colour_area(array: np.ndarray, colour: str) -> int:
    c = QColor(colour)
    return int(np.all(array == (c.blue(), c.green(), c.red()), axis=-1).sum())


def drawn_like_tofu(font: QFont, text: str) -> bool:
    """Whether `text` renders identically to a character no font has (a 'tofu' box)."""

    def render(s: str) -> bytes:
        image = QImage(240, 60, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.setFont(font)
        painter.drawText(QPoint(4, 44), s)
        painter.end()
        return bytes(pixels(image).tobytes())

    return render(text) == render("\U0010fffd" * len(text))


def present(qtbot: QtBot, door: DoorScreen, index: int, impostor: bool = False) -> None:
    assert door.sim_panel is not None
    door.verdict.show_message("", "", theme.NEUTRAL)
    door.sim_panel.candidates.setCurrentIndex(index)
    door.sim_panel.impostor.setChecked(impostor)
    qtbot.mouseClick(door.sim_panel.present, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)
    if faces_dir() is not None and door.verdict.prepared.assessment.candidate.has_photo:  # type: ignore[union-attr]
        qtbot.waitUntil(door.camera.picture.has_picture, timeout=10_000)


def admit(qtbot: QtBot, door: DoorScreen) -> None:
    door.verdict.invigilator.setText("监考员甲")
    door.verdict.reason.setText("人工核对照片一致")
    qtbot.mouseClick(door.verdict.admit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已放行" in door.verdict.banner.text(), timeout=10_000)


def decision_on_screen(window: KioskWindow, door: DoorScreen) -> None:
    v = door.verdict
    wholly_on_screen(window, v.banner, v.admit, v.refuse, v.invigilator, v.reason)


def test_door_states(qtbot: QtBot, window: KioskWindow, shots_dir: Path, station: Station) -> None:
    family = theme.cjk_family()
    assert family, "no CJK font installed (Debian: apt-get install fonts-noto-cjk)"
    assert QFontInfo(QApplication.font()).family() == family
    assert not drawn_like_tofu(QApplication.font(), "考生核验")

    door = window.screen_for("door")
    assert isinstance(door, DoorScreen) and door.sim_panel is not None
    qtbot.waitUntil(lambda: door.ready() and door.roster.table.rowCount() == 20, timeout=30_000)
    wholly_on_screen(window, door.roster.table, door.camera.picture, door.manual)
    shot(window, shots_dir, "door-waiting")
    decision_on_screen(window, door)

    with_photo = [c for c in all_candidates(station.store) if c.has_photo]
    without_photo = next(c for c in all_candidates(station.store) if not c.has_photo)

    present(qtbot, door, door.sim_panel.index_of(with_photo[0].candidate_id))
    prepared = door.verdict.prepared
    assert prepared is not None
    array = shot(window, shots_dir, "door-match")
    decision_on_screen(window, door)
    assert door.verdict.chip_photo.has_picture(), "the chip photo is not shown"
    colour = theme.RECOMMENDATION_COLOURS[prepared.assessment.recommendation]
    assert colour_area(array, colour) > 5_000, "the verdict banner is not drawn in its colour"
    wholly_on_screen(window, door.verdict.chip_photo, door.verdict.roster_photo)
    wholly_on_screen(window, door.verdict.live_photo)

    present(qtbot, door, door.sim_panel.index_of(with_photo[0].candidate_id), impostor=True)
    shot(window, shots_dir, "door-impostor")
    decision_on_screen(window, door)
    if faces_dir() is not None:
        prepared = door.verdict.prepared
        assert prepared is not None and prepared.assessment.recommendation == "refuse"

    present(qtbot, door, door.sim_panel.index_of(without_photo.candidate_id))
    shot(window, shots_dir, "door-no-photo")
    decision_on_screen(window, door)
    assert "名单中没有" in door.verdict.roster_photo.placeholder()

    passport = next(c for c in all_candidates(station.store) if c.id_number == PASSPORT)
    present(qtbot, door, door.sim_panel.index_of(passport.candidate_id))
    prepared = door.verdict.prepared
    assert prepared is not None and prepared.assessment.document.doc_type.value == "passport"
    assert door.verdict.chip_photo.has_picture()
    shot(window, shots_dir, "door-passport")
    decision_on_screen(window, door)
    admit(qtbot, door)

    manual = with_photo[1]
    dialog = door.open_manual_entry()
    dialog.number.setText(manual.id_number)
    dialog.reason.setText("证件芯片损坏")
    qtbot.waitExposed(dialog)
    assert dialog.width() <= window.width() and dialog.height() <= window.height()
    dialog.grab().save(str(shots_dir / "door-manual-dialog.png"))
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)
    shot(window, shots_dir, "door-manual")
    decision_on_screen(window, door)


def test_admin_screen(qtbot: QtBot, window: KioskWindow, shots_dir: Path, tmp_path: Path) -> None:
    window.set_mode("admin")
    admin = window.screen_for("admin")
    qtbot.waitUntil(lambda: getattr(admin, "summary", None) is not None, timeout=10_000)
    with qtbot.waitSignal(admin.bundle_exported, timeout=30_000):  # type: ignore[attr-defined]
        admin.export_to(tmp_path / "ST-DEMO-01.ekb")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "ST-DEMO-01.ekb" in admin.sync_info.text(), timeout=10_000)  # type: ignore[attr-defined]
    for name in ("station_info", "sync_info", "import_package", "export_bundle"):
        widget = admin.findChild(QWidget, name)
        assert widget is not None, f"{name} missing"
        wholly_on_screen(window, widget)
    shot(window, shots_dir, "admin")


def schedule(station: Station, start: datetime, end: datetime) -> None:
    """Give the imported package a start and end (as the centre would in its settings)."""
    with station.store.transaction() as conn:
        version, content = conn.execute(
            "SELECT version, content_json FROM packages ORDER BY version DESC LIMIT 1"
        ).fetchone()
        exam = json.loads(content)
        exam.setdefault("settings", {}).update(start=start.isoformat(), end=end.isoformat())
        conn.execute(
            "UPDATE packages SET content_json = ? WHERE version = ?",
            (json.dumps(exam, ensure_ascii=False), version),
        )


def admitted_candidate(station: Station) -> Candidate:
    """A candidate admitted at the door (the seat lets in only those), through the door's
    own check-in desk."""
    candidate = all_candidates(station.store)[0]
    desk = CheckInDesk(station, FaceService(None))
    assessment = desk.assess(simulated_card(candidate), None, None)
    desk.decide(assessment, admit=True, invigilator="监考员甲", reason="人工核对照片一致")
    return candidate


def test_seat_states(qtbot: QtBot, window: KioskWindow, shots_dir: Path, station: Station) -> None:
    candidate = admitted_candidate(station)
    window.set_mode("seat")
    seat = window.screen_for("seat")
    assert isinstance(seat, SeatScreen)
    assert not window.header.language.isVisible()
    # Waiting for a card (the demo's simulated reader), with ticket + ID number below.
    qtbot.waitUntil(seat.login.card.isVisible, timeout=5_000)  # once the reader answered
    assert "读卡器" in seat.login.card.text()
    assert seat.sim_card is not None
    wholly_on_screen(
        window, seat.login.card, seat.login.ticket, seat.login.id_number, seat.login.login
    )
    wholly_on_screen(window, seat.sim_card.present)
    text_not_cut(seat.login.card, seat.login.hint)
    shot(window, shots_dir, "seat-login")
    absent = next(c for c in all_candidates(station.store) if c != candidate)
    seat.sim_card.present_card(absent)  # never checked in: sent to the door
    qtbot.waitUntil(lambda: "入口" in seat.login.error.text(), timeout=10_000)
    wholly_on_screen(window, seat.login.error, seat.login.login)
    text_not_cut(seat.login.card, seat.login.error, seat.login.hint)
    shot(window, shots_dir, "seat-login-card-refused")

    now = datetime.now().astimezone()
    schedule(station, now + timedelta(minutes=10), now + timedelta(minutes=160))
    seat.sim_card.present_card(candidate)  # signs in by card
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=10_000)
    wholly_on_screen(window, seat.confirm.yes, seat.confirm.no)
    shot(window, shots_dir, "seat-confirm")
    qtbot.mouseClick(seat.confirm.yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.rules, timeout=10_000)
    assert (
        seat.rules.countdown.text().startswith("0:09:") or seat.rules.countdown.text() == "0:10:00"
    )
    no_horizontal_scrolling(seat)
    wholly_on_screen(window, seat.rules.countdown, seat.rules.back_button)
    shot(window, shots_dir, "seat-rules")
    schedule(station, now - timedelta(minutes=1), now + timedelta(minutes=149))
    seat._start()  # what the countdown does at zero
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=10_000)

    page = seat.question
    bottom = (page.prev, page.next, page.flag, page.review, page.remaining)
    firsts: dict[str, int] = {}
    for n, item in enumerate(page.items):
        key = f"{item.kind}-picture" if item.image is not None else item.kind
        firsts.setdefault(key, n)
    assert {"A1", "A1-picture", "A2", "A3", "A4", "B1", "X", "TF"} <= set(firsts), firsts
    for key, n in firsts.items():
        page._move(n)  # the grid's own jump, without the leave-a-locked-part question
        QApplication.processEvents()
        no_horizontal_scrolling(seat)
        wholly_on_screen(window, *bottom)
        shot(window, shots_dir, f"seat-{key}")
        stem = page.view.stem
        assert stem is not None and stem.text().startswith(f"{n + 1}. ")
        assert not stem.text()[len(f"{n + 1}. ") :][:1].isdigit(), "numbered twice"
    a3 = firsts["A3"]
    page._move(a3 + 1)
    caption = page.view.group_caption
    assert caption is not None and f"第{a3 + 1}–{a3 + 3}题共用题干" == caption.text()

    page._move(firsts["A2"])
    page.view.choose(1)
    qtbot.waitUntil(lambda: page.saving == 0 and "已保存" in page.status.text(), timeout=10_000)
    seat.set_font_index(len(FONT_SIZES) - 1)
    QApplication.processEvents()
    no_horizontal_scrolling(seat)
    wholly_on_screen(window, *bottom)
    shot(window, shots_dir, "seat-largest-font")
    page._move(firsts["A3"])
    QApplication.processEvents()
    no_horizontal_scrolling(seat)
    shot(window, shots_dir, "seat-largest-font-case")
    seat.set_font_index(2)
    seat.set_high_contrast(True)
    page._move(firsts["A2"])
    QApplication.processEvents()
    shot(window, shots_dir, "seat-high-contrast")
    seat.set_high_contrast(False)

    qtbot.mouseClick(page.review, Qt.MouseButton.LeftButton)
    assert seat.stack.currentWidget() is seat.review
    wholly_on_screen(window, seat.review.submit_button, seat.review.back_button)
    wholly_on_screen(window, seat.review.remaining)
    shot(window, shots_dir, "seat-review")
    dialog = seat.review.ask_to_submit()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= window.width() and dialog.height() <= window.height()
    dialog.grab().save(str(shots_dir / "seat-submit-dialog.png"))
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.receipt, timeout=10_000)
    qtbot.wait(1_500)  # a clock tick in flight at submission must not replace the receipt
    assert seat.stack.currentWidget() is seat.receipt, seat.login.error.text()
    assert candidate.name in seat.receipt.body.text()
    wholly_on_screen(window, seat.receipt.body, seat.receipt.print_button)
    assert seat.receipt.print_button.text() == "打印回执"
    shot(window, shots_dir, "seat-receipt")


def dialog_shot(window: KioskWindow, dialog: QWidget, folder: Path, name: str) -> None:
    """A dialog over the window: no larger than the screen, its layout fitting in it, saved
    as a PNG that is not blank."""
    QApplication.processEvents()
    QTest.qWait(50)
    screen = window.screen().availableGeometry().size()
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height(), (
        f"{name}: {dialog.width()}x{dialog.height()} larger than the screen"
    )
    need = dialog.minimumSizeHint()
    assert need.width() <= dialog.width() and need.height() <= dialog.height(), (
        f"{name}: the layout needs {need.width()}x{need.height()}, the dialog is "
        f"{dialog.width()}x{dialog.height()}"
    )
    image = dialog.grab().toImage()
    assert image.save(str(folder / f"{name}.png"))
    colours = len(np.unique(pixels(image).reshape(-1, 3), axis=0))
    assert colours >= 40, f"{name}: only {colours} colours, the dialog looks blank"


def test_invigilator_dialogs(
    qtbot: QtBot,
    window: KioskWindow,
    shots_dir: Path,
    station: Station,
    face_service: FaceService,
) -> None:
    """Issue 11: 监考工具 (incidents with a snapshot, enlarged; moving a candidate), the
    centre's address, and the takeover approval at a seat."""
    from examkiosk.app.cli_exam import _check_in_simulated as check_in_simulated
    from examkiosk.core.exam import ExamEngine
    from examkiosk.ui.admin.screen import AdminScreen
    from tests.ui.incident_helpers import record_incidents

    record_incidents(station, face_service)
    window.set_mode("admin")
    admin = window.screen_for("admin")
    assert isinstance(admin, AdminScreen)
    qtbot.waitUntil(lambda: "2 条监考事件待处理" in admin.tools_button.text(), timeout=10_000)
    # The admin screen scrolls (it gathers several features); the sync card's buttons are
    # reached by scrolling on a 768-line screen, never cut off.
    scroll = window.findChild(QScrollArea, "admin_scroll")
    assert scroll is not None
    QApplication.processEvents()  # the scroll range follows the layout
    scroll.ensureWidgetVisible(admin.sync_panel.address_button)
    QApplication.processEvents()
    no_horizontal_scrolling(admin)
    wholly_on_screen(window, admin.sync_panel.sync_words, admin.sync_panel.address_button)
    wholly_on_screen(window, admin.sync_panel.sync_button)
    assert admin.sync_panel.sync_words.text().startswith("尚未设置考试中心地址")
    shot(window, shots_dir, "admin-sync-in-words")

    tools = admin.open_tools()
    tools.show_tab("incidents")
    panel = tools.incidents
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10_000)
    panel.table.setCurrentCell(1, 0)
    qtbot.waitExposed(tools)
    assert tools.screen() is window.screen()
    wholly_on_screen(tools, panel.table, panel.photo, panel.note, panel.ack_button)
    dialog_shot(window, tools, shots_dir, "admin-tools-incidents")
    big = panel.enlarge()
    assert big is not None
    qtbot.waitExposed(big)
    wholly_on_screen(big, big.photo)
    dialog_shot(window, big, shots_dir, "admin-snapshot")
    big.accept()

    tools.show_tab("move")
    qtbot.waitUntil(lambda: len(tools.move_panel.rows) == 1, timeout=10_000)
    tools.move_panel.attempts.setCurrentRow(0)
    wholly_on_screen(tools, tools.move_panel.export_button, tools.move_panel.import_button)
    dialog_shot(window, tools, shots_dir, "admin-tools-move")
    tools.reject()

    address = admin.sync_panel.edit(OpenGuard.person)
    qtbot.waitExposed(address)
    address.url.setText("http://sync.example.cn")
    wholly_on_screen(address, address.url, address.problem, address.save_button)
    dialog_shot(window, address, shots_dir, "admin-central-address")
    address.reject()

    # A candidate whose exam is live at another seat signs in at this one.
    candidate = all_candidates(station.store)[1]
    check_in_simulated(station, candidate.ticket, OpenGuard.person)
    ExamEngine(station).login(candidate.ticket, candidate.id_number)
    window.set_mode("seat")
    seat = window.screen_for("seat")
    assert isinstance(seat, SeatScreen)
    seat.login.ticket.setText(candidate.ticket)
    seat.login.id_number.setText(candidate.id_number)
    qtbot.mouseClick(seat.login.login, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=10_000)
    qtbot.mouseClick(seat.confirm.yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(seat, "takeover", None) is not None, timeout=10_000)
    approval = seat.takeover
    qtbot.waitExposed(approval)
    wholly_on_screen(approval, approval.number, approval.password, approval.ok)
    dialog_shot(window, approval, shots_dir, "seat-takeover")
    approval.reject()
