"""Starting the window from the command line: no display gives instructions, not a
traceback; the store opens without asking where it can, and asks in a dialog otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.app.launch import has_display, launch_window, open_quietly
from examkiosk.core.errors import StoreLocked
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from examkiosk.ui.ops import Operations
from examkiosk.ui.passphrase import PassphraseDialog

ROOT = Path(__file__).resolve().parents[2]


def test_display_detection() -> None:
    assert not has_display({}, "linux")
    assert has_display({"DISPLAY": ":0"}, "linux")
    assert has_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert has_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert has_display({}, "win32") and has_display({}, "darwin")


def test_without_a_display_it_says_how_to_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], venue_dir: Path
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert launch_window(venue_dir, None, None, simulated=True) == 2
    err = capsys.readouterr().err
    assert "xvfb-run -a examkiosk demo" in err and "QT_QPA_PLATFORM=offscreen" in err


def test_command_line_without_display_exits_2_without_traceback(venue_dir: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from examkiosk.app.cli import main; main()",
            "run",
            "--data-dir",
            str(venue_dir),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "xvfb-run -a examkiosk run" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_venue_opens_without_asking(venue_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMKIOSK_PASSPHRASE", raising=False)
    station, problem = open_quietly(venue_dir, None)
    assert station is not None and problem is None
    station.close()


def test_wrong_passphrase_file_leads_to_the_dialog(
    venue_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXAMKIOSK_PASSPHRASE", raising=False)
    wrong = tmp_path / "pass.txt"
    wrong.write_text("definitely wrong passphrase")
    station, problem = open_quietly(venue_dir, wrong)
    assert station is None and isinstance(problem, StoreLocked)


def test_unlock_dialog_retries_after_a_wrong_passphrase(
    qtbot: QtBot, ops: Operations, station: Station, venue_dir: Path, passphrase: str
) -> None:
    opened: list[Station] = []
    dialog = PassphraseDialog(
        lambda p: open_station(venue_dir, p), ops, ("打开", "Open"), ("口令", "Passphrase")
    )
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.passphrase, "wrong-passphrase")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "口令不正确" in dialog.error.text(), timeout=10_000)
    assert dialog.isVisible()
    dialog.passphrase.setText(passphrase)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert isinstance(dialog.value, Station)
    opened.append(dialog.value)
    assert opened[0].station_id == station.station_id
    opened[0].close()
