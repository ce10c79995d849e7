"""The PyInstaller build and the Debian package, each built once per test session.

Building takes one to two minutes on two cores, so every installer test shares one build:
`frozen_dir` (the one-folder build) and `deb_package` (the .deb made from it, compressed with
gzip -1 instead of the release's xz: same files, a seventh of the packing time).
`station_package` (examkiosk-station) holds no program and is built on its own in a second.

EXAMKIOSK_FROZEN_BUILD=DIR reuses a build made earlier from this tree (for iterating on the
package); it is never set in CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BUILD_TIMEOUT = 900


@pytest.fixture(scope="session")
def frozen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reuse = os.environ.get("EXAMKIOSK_FROZEN_BUILD")
    if reuse:
        folder = Path(reuse)
        assert (folder / "examkiosk").is_file(), f"EXAMKIOSK_FROZEN_BUILD={reuse} has no build"
        return folder
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
        timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    folder = work / "dist" / "examkiosk"
    assert (folder / "examkiosk").is_file()
    return folder


@pytest.fixture(scope="session")
def deb_package(frozen_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "installer" / "build_deb.py"),
            "--frozen",
            str(frozen_dir),
            "--package",
            "examkiosk",
            "--out",
            str(out),
            "--compression",
            "gzip",
            "--level",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    path = Path(result.stdout.strip())
    assert path.is_file() and path.name.endswith("_amd64.deb")
    return path


@pytest.fixture(scope="session")
def station_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examkiosk-station: no program inside, so it needs no PyInstaller build."""
    out = tmp_path_factory.mktemp("station-deb")
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "installer" / "build_deb.py"),
            "--package",
            "examkiosk-station",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    path = Path(result.stdout.strip())
    assert path.is_file() and path.name.endswith("_all.deb")
    return path


@pytest.fixture(scope="session")
def unpacked(deb_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's files in a throwaway root (dpkg-deb -x), control files in DEBIAN/."""
    root = tmp_path_factory.mktemp("root")
    for args in (
        ["-x", str(deb_package), str(root)],
        ["-e", str(deb_package), str(root / "DEBIAN")],
    ):
        result = subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    return root


def program_env(**extra: str) -> dict[str, str]:
    """No virtualenv on PATH: the installed program must carry everything it needs."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "EXAMKIOSK_LANG": "en",
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.update(extra)
    return env
