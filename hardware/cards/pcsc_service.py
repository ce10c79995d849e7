"""Whether the system's PC/SC service runs: pcscd on Linux, the Smart Card service on Windows.

Linux: a process named pcscd in /proc (`pcscd_in_proc`, given the /proc folder). Windows:
the "SCardSvr" service's state from the service manager (thin ctypes wrapper; Windows
starts it by trigger when a reader is plugged in, so "stopped" without a reader is normal).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

WINDOWS_SERVICE = "SCardSvr"
SERVICE_RUNNING = 4
# SERVICE_STATUS: dwServiceType, dwCurrentState, then five more DWORDs.
_SERVICE_STATUS = struct.Struct("<7I")


def pcscd_in_proc(proc: Path = Path("/proc")) -> bool:
    """Whether a process named pcscd is listed in `proc`; False when it cannot be read."""
    try:
        entries = list(proc.iterdir())
    except OSError:
        return False
    for entry in entries:
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "pcscd":
                    return True
            except OSError:
                continue
    return False


def service_state(status: bytes) -> int | None:
    """dwCurrentState from a SERVICE_STATUS as QueryServiceStatus filled it; None if short."""
    if len(status) < _SERVICE_STATUS.size:
        return None
    return int(_SERVICE_STATUS.unpack_from(status)[1])


def _windows_service_status() -> bytes:
    import ctypes
    from ctypes import wintypes

    advapi = ctypes.WinDLL("advapi32")  # type: ignore[attr-defined]
    advapi.OpenSCManagerW.restype = wintypes.HANDLE
    advapi.OpenServiceW.restype = wintypes.HANDLE
    advapi.OpenServiceW.argtypes = [wintypes.HANDLE, wintypes.LPCWSTR, wintypes.DWORD]
    advapi.QueryServiceStatus.argtypes = [wintypes.HANDLE, ctypes.c_void_p]
    advapi.CloseServiceHandle.argtypes = [wintypes.HANDLE]
    sc_manager_connect, service_query_status = 0x0001, 0x0004
    manager = advapi.OpenSCManagerW(None, None, sc_manager_connect)
    if not manager:
        return b""
    try:
        service = advapi.OpenServiceW(manager, WINDOWS_SERVICE, service_query_status)
        if not service:
            return b""
        try:
            out = ctypes.create_string_buffer(_SERVICE_STATUS.size)
            return out.raw if advapi.QueryServiceStatus(service, out) else b""
        finally:
            advapi.CloseServiceHandle(service)
    finally:
        advapi.CloseServiceHandle(manager)


def pcsc_service_running() -> bool:
    """Whether the PC/SC service runs on this machine; False when it cannot be told."""
    if sys.platform == "win32":
        return service_state(_windows_service_status()) == SERVICE_RUNNING
    return pcscd_in_proc()
