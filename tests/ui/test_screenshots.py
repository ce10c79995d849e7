"""A screenshot of each station mode of the demo venue at kiosk size (1366x768), checked to
be a real screen: many colours, the expected controls visible, Chinese drawn with a CJK font.

    make screenshots            (PNGs in ./screenshots)
    EXAMKIOSK_SCREENSHOTS=DIR QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/ui/test_screenshots.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QFontInfo, QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from examkiosk.core.station import Station
from examkiosk.ui import theme
from examkiosk.ui.app import KIOSK_SIZE, SharedFace, build_window, demo_devices
from examkiosk.ui.door.screen import DoorScreen
from examkiosk.ui.ops import Operations
from examkiosk.ui.signin import OpenGuard
from examkiosk.ui.window import KioskWindow
from tests.ui.conftest import faces_dir


@pytest.fixture
def shots_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    chosen = os.environ.get("EXAMKIOSK_SCREENSHOTS")
    try:
        chosen = request.config.getoption("--screenshots-dir") or chosen
    except ValueError:  # the option is registered only when tests/ui is named on the command line
        pass
    folder = Path(chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def window(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> Iterator[KioskWindow]:
    devices = demo_devices(venue_dir)
    built = build_window(station, ops, devices, OpenGuard(), "door", SharedFace())
    qtbot.addWidget(built)
    built.setFixedSize(*KIOSK_SIZE)
    built.show()
    yield built
    built.shutdown()
    devices.feed.close()


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), :3].copy()


def save_and_check(window: KioskWindow, folder: Path, name: str) -> np.ndarray:
    QApplication.processEvents()
    image = window.grab().toImage()
    path = folder / f"{name}.png"
    assert image.save(str(path)), f"could not write {path}"
    assert (image.width(), image.height()) == KIOSK_SIZE
    array = pixels(image)
    colours = len(np.unique(array.reshape(-1, 3), axis=0))
    assert colours >= 40, f"{name}: only {colours} colours, the screen looks blank"
    return array


def colour_area(array: np.ndarray, colour: str) -> int:
    c = QColor(colour)
    return int(np.all(array == (c.blue(), c.green(), c.red()), axis=-1).sum())


def visible(window: KioskWindow, *names: str) -> None:
    for name in names:
        widget = window.findChild(QWidget, name)
        assert widget is not None, f"{name} missing"
        assert widget.isVisible(), f"{name} not visible"


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


def test_each_station_mode_is_a_real_screen(
    qtbot: QtBot, window: KioskWindow, shots_dir: Path, tmp_path: Path
) -> None:
    family = theme.cjk_family()
    assert family, "no CJK font installed (Debian: apt-get install fonts-noto-cjk)"
    app_font = QApplication.font()
    assert QFontInfo(app_font).family() == family
    assert not drawn_like_tofu(app_font, "考生核验")

    door = window.screen_for("door")
    assert isinstance(door, DoorScreen) and door.sim_panel is not None
    qtbot.waitUntil(lambda: door.ready() and door.roster.table.rowCount() == 20, timeout=30_000)
    qtbot.mouseClick(door.sim_panel.present, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)
    if faces_dir() is not None:
        qtbot.waitUntil(door.camera.picture.has_picture, timeout=10_000)
    visible(
        window,
        "roster_table",
        "camera_picture",
        "verdict_banner",
        "admit",
        "refuse",
        "sim_present",
        "manual_entry",
    )
    assert QFontInfo(door.verdict.banner.font()).family() == family
    array = save_and_check(window, shots_dir, "door")
    prepared = door.verdict.prepared
    assert prepared is not None
    banner_colour = theme.RECOMMENDATION_COLOURS[prepared.assessment.recommendation]
    assert colour_area(array, banner_colour) > 5_000, (
        "the verdict banner is not drawn in its colour"
    )

    window.set_mode("seat")
    qtbot.wait(300)
    seat = window.stack.currentWidget()
    assert seat is not None and seat.isVisible()
    try:
        from examkiosk.ui.seat import SeatScreen
    except ImportError:
        visible(window, "seat_placeholder")
    else:
        assert isinstance(seat, SeatScreen), "the candidate login screen did not load"
    save_and_check(window, shots_dir, "seat")

    window.set_mode("admin")
    admin = window.screen_for("admin")
    qtbot.waitUntil(lambda: getattr(admin, "summary", None) is not None, timeout=10_000)
    with qtbot.waitSignal(admin.bundle_exported, timeout=30_000):  # type: ignore[attr-defined]
        admin.export_to(tmp_path / "ST-DEMO-01.ekb")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "ST-DEMO-01.ekb" in admin.sync_info.text(), timeout=10_000)  # type: ignore[attr-defined]
    visible(window, "station_info", "sync_info", "import_package", "export_bundle", "export_result")
    save_and_check(window, shots_dir, "admin")
