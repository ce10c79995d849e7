"""Opening the kiosk window from the command line (`examkiosk run`, `examkiosk demo`).

Headless checks come first, so a machine without a screen gets instructions rather than a
Qt abort, and a store that opens without asking (OS key store, a passphrase file, a demo
venue) opens before any window. Qt itself is imported only through `examkiosk.ui.app`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from examkiosk.app.unlock import not_provisioned, passphrase_for
from examkiosk.core.errors import StoreLocked, localized
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from examkiosk.store import keys as store_keys
from examkiosk.store.layout import DataDir

NO_DISPLAY = (
    "没有可用的显示器（未设置 DISPLAY 或 WAYLAND_DISPLAY），无法打开考点工作站窗口。\n"
    "No display is available (DISPLAY and WAYLAND_DISPLAY are unset), so the kiosk window "
    "cannot open.\n"
    "  - 在虚拟屏幕中运行 Run it on a virtual screen:   xvfb-run -a examkiosk {command} --data-dir {data_dir}\n"
    "  - 无窗口运行（截图、测试） Run without a window:  QT_QPA_PLATFORM=offscreen examkiosk {command} --data-dir {data_dir}\n"
    "  - 仅准备演示数据 Only build the demo data:        examkiosk demo --setup-only"
)


def has_display(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt can open a window here: always on Windows/macOS; on Linux/BSD when X11 or
    Wayland is reachable or a Qt platform (e.g. offscreen) is chosen explicitly."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin")):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def open_quietly(
    data_dir: Path, passphrase_file: Path | None
) -> tuple[Station | None, StoreLocked | None]:
    """The station if it opens without asking; else (None, why) for the unlock dialog."""
    layout = DataDir(data_dir)
    if store_keys.key_from_os(layout.keyslots) is not None:
        return open_station(data_dir, None), None
    passphrase = passphrase_for(data_dir, passphrase_file, prompt=False)
    if passphrase is None:
        return None, None
    try:
        return open_station(data_dir, passphrase), None
    except StoreLocked as exc:  # a stale passphrase file: ask in the window instead
        return None, exc


def launch_window(
    data_dir: Path, mode: str | None, passphrase_file: Path | None, simulated: bool = False
) -> int:
    """Open the kiosk window; returns the process exit status (2: cannot start here)."""
    language = os.environ.get("EXAMKIOSK_LANG", "zh_CN")
    command = "demo" if simulated else "run"
    if not has_display():
        program = sys.argv[0] if Path(sys.argv[0]).name == "examkiosk" else "examkiosk"
        print(
            NO_DISPLAY.format(command=command, data_dir=data_dir).replace(
                "examkiosk ", f"{program} "
            ),
            file=sys.stderr,
        )
        return 2
    if not DataDir(data_dir).exists():
        if simulated:
            print(localized(not_provisioned(data_dir), language), file=sys.stderr)
            return 2
        # A fresh install: the set-up page provisions it in the window (issue 15).
        from examkiosk.ui.app import run_kiosk
        from examkiosk.ui.setup.run import run_setup

        fresh = run_setup(data_dir)
        return 1 if fresh is None else run_kiosk(data_dir, mode, fresh)
    from examkiosk.core.logs import install_file_log

    install_file_log(data_dir)  # issue 12: the station's rotating JSON log
    station, problem = open_quietly(data_dir, passphrase_file)
    from examkiosk.ui.app import run_kiosk

    return run_kiosk(data_dir, mode, station, problem, simulated=simulated)
