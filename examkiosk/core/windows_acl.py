"""Who besides the kiosk account may read the station's data folder on Windows.

Windows has no file modes: the data folder's ACL decides (the installer sets it: the kiosk
account and SYSTEM only). The inspection reads that ACL back. The parsing and the judgement
are pure (`parse_sid`, `parse_acl`, `others_allowed`: the bytes Windows returns, tested on
any system); the Win32 calls are a thin wrapper (`data_folder_others`, Windows only, not run
in CI): GetNamedSecurityInfoW for the folder's DACL, the process token for its own account.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ACCESS_ALLOWED_ACE_TYPE = 0
# Rights that let an account read what is in the folder (or change who may).
READING = (
    0x0001  # FILE_READ_DATA / FILE_LIST_DIRECTORY
    | 0x0002  # FILE_WRITE_DATA / FILE_ADD_FILE
    | 0x00040000  # WRITE_DAC
    | 0x00080000  # WRITE_OWNER
    | 0x10000000  # GENERIC_ALL
    | 0x80000000  # GENERIC_READ
)
SYSTEM = "S-1-5-18"
CREATOR_OWNER = "S-1-3-0"  # stands for whoever creates a file: the kiosk account here
EVERYONE = "S-1-1-0"
WELL_KNOWN = {
    EVERYONE: "Everyone",
    "S-1-5-11": "Authenticated Users",
    "S-1-5-32-544": "Administrators",
    "S-1-5-32-545": "Users",
    "S-1-5-4": "Interactive",
    SYSTEM: "SYSTEM",
}


@dataclass(frozen=True)
class Ace:
    kind: int  # ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE (1), ...
    flags: int  # inheritance flags (OI 0x1, CI 0x2, IO 0x8, INHERITED 0x10)
    mask: int
    sid: str


def parse_sid(data: bytes) -> str:
    """A binary SID as Windows stores it -> "S-1-5-32-545"; ValueError if malformed."""
    if len(data) < 8:
        raise ValueError("SID too short")
    revision, count = data[0], data[1]
    if len(data) < 8 + 4 * count:
        raise ValueError("SID shorter than its sub-authorities")
    authority = int.from_bytes(data[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", data, 8)
    return "-".join(["S", str(revision), str(authority), *map(str, subs)])


def parse_acl(data: bytes) -> list[Ace]:
    """The entries of an ACL as Windows stores it (header, then ACE after ACE)."""
    if len(data) < 8:
        raise ValueError("ACL too short")
    _revision, _sbz1, size, count, _sbz2 = struct.unpack_from("<BBHHH", data)
    if size > len(data):
        raise ValueError("ACL shorter than it says")
    aces, offset = [], 8
    for _ in range(count):
        if offset + 8 > size:
            raise ValueError("ACE beyond the ACL")
        kind, flags, ace_size = struct.unpack_from("<BBH", data, offset)
        if ace_size < 8 or offset + ace_size > size:
            raise ValueError("ACE size out of range")
        (mask,) = struct.unpack_from("<I", data, offset + 4)
        sid = parse_sid(data[offset + 8 : offset + ace_size]) if kind in (0, 1) else ""
        aces.append(Ace(kind, flags, mask, sid))
        offset += ace_size
    return aces


def others_allowed(aces: Iterable[Ace] | None, own_sid: str) -> list[str]:
    """Names of the accounts other than `own_sid`, SYSTEM and CREATOR OWNER that an ACL lets
    read or change the folder or the files in it; a missing ACL (None) lets Everyone."""
    if aces is None:
        return ["Everyone"]
    allowed = {own_sid, SYSTEM, CREATOR_OWNER}
    names = []
    for ace in aces:
        if ace.kind == ACCESS_ALLOWED_ACE_TYPE and ace.mask & READING and ace.sid not in allowed:
            name = WELL_KNOWN.get(ace.sid, ace.sid)
            if name not in names:
                names.append(name)
    return names


# --- Win32 (thin wrappers; Windows only) -----------------------------------------------------


def _own_sid() -> str:
    import ctypes
    from ctypes import wintypes

    advapi = ctypes.WinDLL("advapi32")  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    advapi.OpenProcessToken.argtypes = [
        wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE),
    ]  # fmt: skip
    advapi.GetTokenInformation.argtypes = [
        wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD,
        ctypes.POINTER(wintypes.DWORD),
    ]  # fmt: skip
    advapi.GetLengthSid.argtypes = [ctypes.c_void_p]
    token = wintypes.HANDLE()
    token_query, token_user = 0x0008, 1
    if not advapi.OpenProcessToken(kernel32.GetCurrentProcess(), token_query, ctypes.byref(token)):
        raise OSError("OpenProcessToken failed")
    try:
        buffer = ctypes.create_string_buffer(256)
        needed = wintypes.DWORD()
        if not advapi.GetTokenInformation(
            token, token_user, buffer, len(buffer), ctypes.byref(needed)
        ):
            raise OSError("GetTokenInformation failed")
        sid = ctypes.c_void_p.from_buffer(buffer).value  # TOKEN_USER.User.Sid
        if not sid:
            raise OSError("no user SID in the process token")
        return parse_sid(ctypes.string_at(sid, advapi.GetLengthSid(sid)))
    finally:
        kernel32.CloseHandle(token)


def _folder_aces(folder: Path) -> list[Ace] | None:
    import ctypes

    advapi = ctypes.WinDLL("advapi32")  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    advapi.GetNamedSecurityInfoW.argtypes = [
        ctypes.c_wchar_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
    ]  # fmt: skip
    kernel32.LocalFree.argtypes = [ctypes.c_void_p]
    dacl, descriptor = ctypes.c_void_p(), ctypes.c_void_p()
    file_object, dacl_information = 1, 0x4
    status = advapi.GetNamedSecurityInfoW(
        str(folder), file_object, dacl_information, None, None,
        ctypes.byref(dacl), None, ctypes.byref(descriptor),
    )  # fmt: skip
    if status != 0:
        raise OSError(status, "GetNamedSecurityInfoW failed", str(folder))
    try:
        if not dacl.value:
            return None  # a NULL DACL: no restriction at all
        size = struct.unpack("<H", ctypes.string_at(dacl.value + 2, 2))[0]
        return parse_acl(ctypes.string_at(dacl.value, size))
    finally:
        kernel32.LocalFree(descriptor)


def data_folder_others(folder: Path) -> list[str]:
    """Accounts other than this one (and SYSTEM) that may read `folder` (Windows only);
    OSError when the ACL cannot be read."""
    try:
        return others_allowed(_folder_aces(folder), _own_sid())
    except ValueError as exc:
        raise OSError(f"unreadable ACL: {exc}") from exc
