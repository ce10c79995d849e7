"""The PyInstaller build starts and does real work: the whole venue loop, face check included.

Building takes about a minute and a half on two cores, so it is built once for the module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pyinstaller")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--distpath",
            str(work / "dist"),
            "--workpath",
            str(work / "build"),
            str(REPO / "installer" / "examkiosk.spec"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    exe = work / "dist" / "examkiosk" / "examkiosk"
    assert exe.is_file()
    return exe


def _env() -> dict[str, str]:
    # No virtualenv on PATH: the build must carry everything it needs.
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "EXAMKIOSK_LANG": "en",
        "QT_QPA_PLATFORM": "offscreen",
    }


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
