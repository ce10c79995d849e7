"""The Windows kiosk shell: runs the window, and runs it again whenever it ends.

On Windows the installer makes `examkiosk kiosk-shell` the shell of the kiosk account only
(its own Winlogon "Shell" value), in place of Explorer: no desktop, no Start menu, no task
bar. Windows does not restart a shell that ends, so this loop does what `Restart=always`
does in the Linux kiosk unit: the window starts again RESTART_DELAY seconds after it ends,
whatever the reason, except CONSOLE_EXIT (the technician's chord and sign-in, audited by the
window). Then the loop ends and the account is left without a shell: the technician presses
Ctrl+Alt+Del, chooses "Switch user" and signs in with their own Windows account
(docs/install.md, "Windows").

A window that keeps ending right after its start (a broken install, a missing camera driver
that crashes it) would otherwise spin every two seconds for ever: after FAST_FAILURES such
ends in a row the delay grows to SLOW_DELAY, so the machine stays usable for a technician.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from examkiosk.core.update import Installation, default_install_root

log = logging.getLogger(__name__)

# The window's "open the console" status (examkiosk/ui/console_chord.py, not imported here:
# that module imports Qt, and this loop must stay small and headless).
CONSOLE_EXIT = 75
RESTART_DELAY = 2.0
FAST_SECONDS = 10.0
FAST_FAILURES = 5
SLOW_DELAY = 30.0
CANNOT_START = 127  # the program file could not be started at all


def next_delay(code: int, ran_seconds: float, quick_ends: int) -> tuple[float | None, int]:
    """(seconds before the next start, or None to stop; quick ends in a row so far)."""
    if code == CONSOLE_EXIT:
        return None, 0
    quick = quick_ends + 1 if ran_seconds < FAST_SECONDS else 0
    return (SLOW_DELAY if quick >= FAST_FAILURES else RESTART_DELAY), quick


def window_command(data_dir: Path, install: Installation | None = None) -> list[str]:
    """The command that opens the kiosk window on `data_dir`: in the installed build, the
    release `current` names (so a signed update runs from the window's next start, while this
    loop keeps running from the release the installer set as the shell), else this program."""
    if getattr(sys, "frozen", False):  # the installed build: examkiosk.exe
        install = install or Installation(default_install_root())
        program = install.current_program() or Path(sys.executable)
        return [str(program), "run", "--data-dir", str(data_dir)]
    entry = "from examkiosk.app.cli import main; main()"
    return [sys.executable, "-c", entry, "run", "--data-dir", str(data_dir)]


def run_window(command: Sequence[str]) -> int:
    """Run the window to its end; its exit status (CANNOT_START if it could not start)."""
    # No console window for the window's process on Windows (the build is a console program).
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
    try:
        return subprocess.run(list(command), creationflags=flags, check=False).returncode
    except OSError as exc:
        log.error("kiosk shell: cannot start %s: %s", command[0], exc)
        return CANNOT_START


def supervise(
    command: Sequence[str],
    *,
    run: Callable[[Sequence[str]], int] = run_window,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_starts: int | None = None,
) -> int:
    """Start `command` again each time it ends, until it ends with CONSOLE_EXIT (or after
    `max_starts` starts); returns its last exit status."""
    quick_ends, starts = 0, 0
    while True:
        started = clock()
        code = run(command)
        starts += 1
        delay, quick_ends = next_delay(code, clock() - started, quick_ends)
        if delay is None:
            log.warning("kiosk shell: the window asked for the console (status %d)", code)
            return code
        log.warning("kiosk shell: the window ended (status %d); again in %.0f s", code, delay)
        if max_starts is not None and starts >= max_starts:
            return code
        sleep(delay)


def detach_console() -> None:
    """On Windows, close the console window Winlogon gave this console program."""
    if sys.platform == "win32":
        import ctypes

        ctypes.WinDLL("kernel32").FreeConsole()  # type: ignore[attr-defined]
