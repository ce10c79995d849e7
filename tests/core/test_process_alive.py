"""Is the program that held an attempt still running? Real processes here; Windows' answer
from the values OpenProcess/GetExitCodeProcess give (os.kill would end the process there)."""

from __future__ import annotations

import os
import subprocess
import sys

from examkiosk.core.process_alive import (
    ERROR_ACCESS_DENIED,
    ERROR_INVALID_PARAMETER,
    STILL_ACTIVE,
    process_alive,
    windows_alive,
)


def test_a_running_process_is_alive_and_an_ended_one_is_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid)
    assert process_alive(os.getpid())
    assert not process_alive(0) and not process_alive(-5)


def test_windows_answers() -> None:
    assert windows_alive(True, 0, STILL_ACTIVE)  # opened, still running
    assert not windows_alive(True, 0, 0)  # opened through a leftover handle: it has exited
    assert not windows_alive(True, 0, 1)  # exited with status 1 (a crash)
    assert windows_alive(True, 0, None)  # exit code unreadable: let the invigilator decide
    assert not windows_alive(False, ERROR_INVALID_PARAMETER, None)  # no such process
    assert windows_alive(False, ERROR_ACCESS_DENIED, None)  # another account's process
