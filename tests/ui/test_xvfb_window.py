"""The kiosk window on a real X server (Xvfb), not only Qt's offscreen platform: catches a
missing xcb library on the machine, which offscreen tests never load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_demo_window_runs_under_xvfb(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    setup = subprocess.run(
        [sys.executable, "-m", "examkiosk.app", "demo", "--setup-only", "--data-dir", str(data)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr[-2000:]
    window = subprocess.Popen(
        ["xvfb-run", "-a", sys.executable, "-m", "examkiosk.app", "demo", "--data-dir", str(data)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(10)
        alive = window.poll() is None
    finally:
        os.killpg(window.pid, 15)
        _, err = window.communicate(timeout=30)
    assert alive, err[-3000:]
    assert "Could not load the Qt platform plugin" not in err and "Traceback" not in err
