"""The installed program starts and does real work: the whole venue loop, face check included.

It runs from the Debian package unpacked into a throwaway root (dpkg-deb -x), through the
package's `current` symlink, so these tests cover the PyInstaller build and the package's
layout at once. Build and package are made once per session (tests/installer/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.installer.conftest import program_env


@pytest.fixture(scope="module")
def frozen(unpacked: Path) -> Path:
    return unpacked / "opt" / "examkiosk" / "current" / "examkiosk"


def _env() -> dict[str, str]:
    return program_env()


def test_frozen_build_reports_its_version(frozen: Path) -> None:
    result = subprocess.run(
        [str(frozen), "--version"], capture_output=True, text=True, timeout=120, env=_env()
    )
    assert result.returncode == 0
    assert "examkiosk, version" in result.stdout


def test_frozen_build_runs_the_venue_rehearsal(
    frozen: Path, tmp_path: Path, faces_dir: Path
) -> None:
    result = subprocess.run(
        [
            str(frozen),
            "rehearse",
            "--data-dir",
            str(tmp_path / "v"),
            "--candidates",
            "3",
            "--faces",
            str(faces_dir),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["ok"] and report["events"]["exactly_once"]
    checkin = next(s for s in report["stages"] if s["name"] == "checkin")
    # The frozen build carries the face models: every candidate gets a real face verdict.
    assert checkin["detail"]["face"] == {"match": 3}
    assert checkin["detail"]["liveness"] == {"live": 3}


def test_frozen_build_opens_the_kiosk_window(frozen: Path, tmp_path: Path) -> None:
    data = tmp_path / "demo"
    setup = subprocess.run(
        [str(frozen), "demo", "--setup-only", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    window = subprocess.Popen(
        [str(frozen), "run", "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        time.sleep(8)
        still_running = window.poll() is None
    finally:
        window.terminate()
        _, err = window.communicate(timeout=30)
    assert still_running, err[-3000:]
    assert "Traceback" not in err
    assert os.path.exists(data / "station.db")
