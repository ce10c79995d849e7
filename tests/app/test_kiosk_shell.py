"""The Windows kiosk shell's loop, with real processes: the window is started again when it
ends, the technician's console status ends the loop, a window that keeps dying right away is
restarted more slowly, and the command it builds really starts this program."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from examkiosk.app.kiosk_shell import (
    CANNOT_START,
    CONSOLE_EXIT,
    FAST_FAILURES,
    RESTART_DELAY,
    SLOW_DELAY,
    next_delay,
    run_window,
    supervise,
    window_command,
)


def _window_ending_with(tmp_path: Path, statuses: list[int]) -> list[str]:
    """A program that ends with the next of `statuses` each time it is started."""
    script = tmp_path / "window.py"
    script.write_text(
        "import pathlib, sys\n"
        f"runs = pathlib.Path({str(tmp_path / 'runs')!r})\n"
        "n = len(runs.read_text()) if runs.exists() else 0\n"
        "runs.write_text('x' * (n + 1))\n"
        f"sys.exit({statuses!r}[n])\n"
    )
    return [sys.executable, str(script)]


def test_the_window_is_restarted_until_the_technician_opens_the_console(tmp_path: Path) -> None:
    waits: list[float] = []
    command = _window_ending_with(tmp_path, [1, 0, -11 % 256, CONSOLE_EXIT, 0])
    assert supervise(command, sleep=waits.append) == CONSOLE_EXIT
    assert (tmp_path / "runs").read_text() == "xxxx"  # crash, closed, killed, console: 4 starts
    assert waits == [RESTART_DELAY] * 3


def test_a_window_that_keeps_dying_at_once_is_restarted_slowly() -> None:
    quick = 0
    delays = []
    for _ in range(FAST_FAILURES + 1):
        delay, quick = next_delay(1, 0.5, quick)
        delays.append(delay)
    assert delays == [RESTART_DELAY] * (FAST_FAILURES - 1) + [SLOW_DELAY, SLOW_DELAY]
    assert next_delay(1, 3600.0, quick) == (RESTART_DELAY, 0)  # a long run resets the count
    assert next_delay(CONSOLE_EXIT, 0.5, quick) == (None, 0)


def test_a_missing_program_is_reported_as_cannot_start(tmp_path: Path) -> None:
    assert run_window([str(tmp_path / "examkiosk.exe"), "run"]) == CANNOT_START


def test_the_window_command_starts_this_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # Without a display the window's command line says so and ends with status 2: enough to
    # show the shell starts the real program with the data folder it was given.
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    waits: list[float] = []
    command = window_command(tmp_path / "station")
    assert supervise(command, sleep=waits.append, max_starts=2) == 2
    assert waits == [RESTART_DELAY]
    said = capfd.readouterr().err
    assert said.count("No display is available") == 2 and str(tmp_path / "station") in said
