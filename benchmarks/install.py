"""Installing a venue: package size, cold start to the first screen, first boot to a
provisioned station on the set-up page.

    .venv/bin/python benchmarks/install.py [--frozen DIR] [--compression gzip|xz] [--runs N]

- package: the .deb built from the PyInstaller folder (installer/build_deb.py), its size and
  its installed size; --compression xz gives the release's figure (`make dist`), gzip (the
  default) is several times faster to pack.
- cold start: the installed program (unpacked from the .deb, started through its `current`
  link) until its window is mapped on a private Xvfb, against the baseline of the same venue
  started from the source tree in this run. First run and median of --runs.
- first boot: the installed program on an empty data directory until the set-up page is up,
  then xdotool types what a technician types (station id, venue, the centre's key file,
  passphrase twice, Enter) as real X key events, until the station is provisioned.
--frozen reuses a PyInstaller build of this tree; without it one is made (1-2 minutes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examkiosk.store.layout import DataDir  # noqa: E402
from sync.crypto import KeyPair  # noqa: E402

PASSPHRASE = "lantern orbit 47 quietly marble"


def _env(display: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "EXAMKIOSK_LANG": "en", "DISPLAY": display}


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate():
            return time.perf_counter() - start
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def _window_shown(display: str, name: str) -> bool:
    result = subprocess.run(
        ["xwininfo", "-display", display, "-name", name],
        capture_output=True,
        text=True,
    )
    return result.returncode == 0 and "IsViewable" in result.stdout


class Xvfb:
    def __init__(self) -> None:
        for number in range(90, 140):
            if not Path(f"/tmp/.X11-unix/X{number}").exists():
                break
        self.display = f":{number}"
        self.process = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 20, "Xvfb")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def build(frozen: Path | None, work: Path, compression: str) -> tuple[Path, float]:
    if frozen is None:
        subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath",
             str(work / "dist"), "--workpath", str(work / "build"),
             str(ROOT / "installer" / "examkiosk.spec")],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        frozen = work / "dist" / "examkiosk"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build_deb.py"), "--frozen", str(frozen),
         "--package", "examkiosk", "--out", str(work / "deb"), "--compression", compression],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return Path(result.stdout.strip()), time.perf_counter() - start


def time_to_window(command: list[str], display: str, name: str, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    env = _env(display)
    if cwd is not None:
        env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait(lambda: _window_shown(display, name) or process.poll() is not None, 120, name)
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} ended: {process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(30)


def first_boot(program: Path, display: str, work: Path) -> tuple[float, float]:
    """(seconds until the set-up page shows, seconds until the station is provisioned)."""
    data = work / "fresh"
    keys = work / "usb" / "central-keys.json"
    keys.parent.mkdir()
    keys.write_text(json.dumps(KeyPair.generate().public().to_dict()))
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(program), "run", "--data-dir", str(data)],
        env=_env(display), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        shown = _wait(lambda: _window_shown(display, "ExamKiosk setup"), 120, "the set-up page")
        xdo = ["xdotool"]
        env = _env(display)
        found = subprocess.run(
            [*xdo, "search", "--sync", "--name", "ExamKiosk setup"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        window = found.stdout.split()[0]
        subprocess.run([*xdo, "windowfocus", "--sync", window], env=env, check=True)
        # Focus starts on the station id; Tab walks the form in order.
        steps: list[list[str]] = [
            ["type", "--delay", "20", "ST-0101-01"], ["key", "Tab"],
            ["type", "--delay", "20", "V0101"], ["key", "Tab"], ["key", "Tab"],
            ["type", "--delay", "5", str(keys)], ["key", "Tab"], ["key", "Tab"],
            ["type", "--delay", "20", PASSPHRASE], ["key", "Tab"],
            ["type", "--delay", "20", PASSPHRASE], ["key", "Return"],
        ]  # fmt: skip
        for step in steps:
            subprocess.run([*xdo, *step], env=env, check=True)
        _wait(lambda: DataDir(data).exists() or process.poll() is not None, 120, "provisioning")
        if process.poll() is not None:
            raise SystemExit(f"the program ended: {process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
        return shown, time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frozen", type=Path, default=None)
    parser.add_argument("--compression", choices=["gzip", "xz"], default="gzip")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for tool in ("Xvfb", "xwininfo", "xdotool", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing (make system-deps installs it)")
    with tempfile.TemporaryDirectory(prefix="ek-install-bench-") as tmp:
        work = Path(tmp)
        deb, pack_s = build(args.frozen, work, args.compression)
        root = work / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        installed = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir())
        print(f"package: {deb.name} {deb.stat().st_size / 2**20:.1f} MiB ({args.compression}, "
              f"packed in {pack_s:.0f} s); installed {installed / 2**20:.0f} MiB")  # fmt: skip
        program = root / "opt" / "examkiosk" / "current" / "examkiosk"
        venue = work / "venue"
        subprocess.run([str(program), "demo", "--setup-only", "--data-dir", str(venue)],
                       env=_env(""), check=True, capture_output=True)  # fmt: skip
        x = Xvfb()
        try:
            installed_runs = [
                time_to_window(
                    [str(program), "demo", "--data-dir", str(venue)], x.display, "ExamKiosk"
                )  # fmt: skip
                for _ in range(args.runs)
            ]
            source_runs = [
                time_to_window(
                    [sys.executable, "-m", "examkiosk.app", "demo", "--data-dir", str(venue)],
                    x.display,
                    "ExamKiosk",
                    cwd=ROOT,
                )  # fmt: skip
                for _ in range(args.runs)
            ]
            print(
                f"start to first screen, installed: first {installed_runs[0]:.2f} s, median "
                f"{statistics.median(installed_runs):.2f} s; baseline from the source tree: "
                f"first {source_runs[0]:.2f} s, median {statistics.median(source_runs):.2f} s"
            )
            page_s, provisioned_s = first_boot(program, x.display, work)
            print(f"first boot: set-up page after {page_s:.2f} s, station provisioned (typed "
                  f"with xdotool) after {provisioned_s:.2f} s")  # fmt: skip
        finally:
            x.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
