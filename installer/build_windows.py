"""Build the Windows installer (dist/examkiosk-<version>-setup.exe) from the one-folder build.

Run on Windows after `pyinstaller --noconfirm installer/examkiosk.spec`:

    python installer/build_windows.py [--frozen dist/examkiosk] [--iscc PATH]

Refuses a build folder that holds anything the Debian package also refuses (the virtual
reader, tests, keys, stores: build_deb.FORBIDDEN) before Inno Setup's compiler runs; the
script's Excludes list is the second guard. Never run in this project's CI (no Windows).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # build_deb beside this file, run as a script or imported

from build_deb import REPO, forbidden_files, program_version  # noqa: E402

SCRIPT = HERE / "windows" / "examkiosk.iss"
DEFAULT_ISCC = Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)")) / (
    "Inno Setup 6/ISCC.exe"
)


def find_iscc(given: Path | None) -> Path | None:
    if given is not None:
        return given if given.is_file() else None
    on_path = shutil.which("ISCC") or shutil.which("iscc")
    if on_path:
        return Path(on_path)
    return DEFAULT_ISCC if DEFAULT_ISCC.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frozen", type=Path, default=REPO / "dist" / "examkiosk")
    parser.add_argument("--iscc", type=Path, default=None)
    parser.add_argument("--version", default=None)
    args = parser.parse_args(argv)
    if not (args.frozen / "examkiosk.exe").is_file():
        print(f"build_windows: no examkiosk.exe in {args.frozen}: run PyInstaller first",
              file=sys.stderr)  # fmt: skip
        return 2
    bad = forbidden_files(args.frozen)
    if bad:
        print("build_windows: the build holds files a station must never get: " + ", ".join(bad),
              file=sys.stderr)  # fmt: skip
        return 2
    iscc = find_iscc(args.iscc)
    if iscc is None:
        print("build_windows: Inno Setup 6's ISCC.exe was not found: install Inno Setup 6 "
              "or pass --iscc PATH", file=sys.stderr)  # fmt: skip
        return 2
    version = args.version or program_version()
    return subprocess.run([str(iscc), f"/DVersion={version}", str(SCRIPT)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
