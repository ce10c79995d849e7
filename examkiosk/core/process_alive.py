"""Whether a process id on this machine is a running program (the seat take-over check).

POSIX asks with signal 0. Windows has no signal 0: `os.kill` there terminates the process,
so it asks OpenProcess/GetExitCodeProcess instead (thin ctypes wrapper below); the decision
from their results is `windows_alive`, a pure function tested with the values Windows gives.
"""

from __future__ import annotations

import os
import sys

ERROR_ACCESS_DENIED = 5
ERROR_INVALID_PARAMETER = 87  # OpenProcess's answer for a process id that does not exist
STILL_ACTIVE = 259
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


def windows_alive(opened: bool, last_error: int, exit_code: int | None) -> bool:
    """From OpenProcess (`opened`, else GetLastError) and GetExitCodeProcess (None if it failed).

    A process we may not open (another account's) exists; an unknown id does not; an opened
    one is alive while its exit code is STILL_ACTIVE (a handle held elsewhere keeps an ended
    process's id valid). Any other failure: assume alive, so an invigilator decides."""
    if not opened:
        return last_error != ERROR_INVALID_PARAMETER
    return exit_code is None or exit_code == STILL_ACTIVE


def _windows_process_alive(pid: int) -> bool:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.GetExitCodeProcess.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD)]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    handle = kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return windows_alive(False, ctypes.get_last_error(), None)  # type: ignore[attr-defined]
    try:
        code = wintypes.DWORD()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return windows_alive(True, 0, code.value if ok else None)
    finally:
        kernel32.CloseHandle(handle)


def process_alive(pid: int) -> bool:
    """Whether `pid` is a running process on this machine (this process included)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
