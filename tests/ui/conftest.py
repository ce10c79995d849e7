"""Fixtures for the UI tests: a demo venue (built once, copied per test), an opened station,
the `Operations` helper, and the themed QApplication. Qt runs on the offscreen platform."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# The offscreen platform with the screens venues have (tests/ui/screens.json: 1366x768,
# 1280x1024, 1920x1080 side by side), so a window can be put on each and measured.
os.environ["QT_QPA_PLATFORM"] = (
    f"offscreen:configfile={Path(__file__).with_name('screens.json')}"
    if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen"
    else os.environ["QT_QPA_PLATFORM"]
)

from PySide6.QtWidgets import QApplication

from examkiosk.core.face_check import FaceService
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from examkiosk.store.layout import DataDir
from examkiosk.ui.ops import Operations
from examkiosk.ui.theme import apply_theme

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "faces"


def pytest_addoption(parser: pytest.Parser) -> None:
    # Registered when tests/ui is named on the command line (as `make screenshots` does);
    # EXAMKIOSK_SCREENSHOTS works in every case.
    parser.addoption("--screenshots-dir", default=None, help="Where the UI screenshots go.")


def faces_dir() -> Path | None:
    return FACES if (FACES / "single").is_dir() else None


@pytest.fixture(scope="session")
def face_service() -> FaceService:
    """Loaded once: the face models take a second or two."""
    return FaceService.create() if faces_dir() else FaceService(None)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, face_service: FaceService) -> Path:
    from examkiosk.app.demo_venue import build_demo_venue

    target = tmp_path_factory.mktemp("demo") / "venue"
    venue = build_demo_venue(target, faces_dir=faces_dir(), face=face_service)
    venue.station.store.checkpoint()
    venue.station.close()
    return target


@pytest.fixture
def venue_dir(demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo venue for one test (tests record check-ins in it)."""
    target = tmp_path / "venue"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def passphrase(venue_dir: Path) -> str:
    return DataDir(venue_dir).demo_passphrase.read_text().strip()


@pytest.fixture
def themed_app(qapp: QApplication) -> QApplication:
    apply_theme(qapp)
    return qapp


@pytest.fixture(autouse=True)
def chinese_first() -> Iterator[None]:
    from examkiosk.ui.i18n import set_language

    set_language("zh_CN")
    yield
    set_language("zh_CN")


@pytest.fixture
def station(venue_dir: Path, passphrase: str) -> Iterator[Station]:
    opened = open_station(venue_dir, passphrase)
    yield opened
    opened.close()


@pytest.fixture
def ops(themed_app: QApplication, station: Station) -> Iterator[Operations]:
    operations = Operations()
    yield operations
    operations.shutdown()
    QApplication.processEvents()  # deliver what finished while the widgets still exist
