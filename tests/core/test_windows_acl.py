"""Reading back the data folder's ACL on Windows, from the bytes Windows returns (the ctypes
wrapper that fetches them has not run on Windows)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from examkiosk.core.inspection import OK, WARNING, windows_files_finding
from examkiosk.core.windows_acl import Ace, others_allowed, parse_acl, parse_sid

KIOSK = "S-1-5-21-3623811015-3361044348-30300820-1013"
FULL, MODIFY, READ_EXECUTE = 0x1F01FF, 0x1301BF, 0x1200A9
OI, CI, IO, INHERITED = 0x1, 0x2, 0x8, 0x10


def sid_bytes(sid: str) -> bytes:
    parts = [int(p) for p in sid.split("-")[1:]]
    revision, authority, subs = parts[0], parts[1], parts[2:]
    return (
        bytes([revision, len(subs)])
        + authority.to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def acl_bytes(aces: list[tuple[int, int, int, str]]) -> bytes:
    body = b""
    for kind, flags, mask, sid in aces:
        raw = sid_bytes(sid)
        body += struct.pack("<BBHI", kind, flags, 8 + len(raw), mask) + raw
    return struct.pack("<BBHHH", 2, 0, 8 + len(body), len(aces), 0) + body


INSTALLERS = [(0, OI | CI, MODIFY, KIOSK), (0, OI | CI, FULL, "S-1-5-18")]
# What a folder made under C:\ProgramData inherits when nobody removes it.
PROGRAMDATA = [
    (0, OI | CI | INHERITED, FULL, "S-1-5-18"),
    (0, OI | CI | INHERITED, FULL, "S-1-5-32-544"),
    (0, OI | CI | IO | INHERITED, FULL, "S-1-3-0"),
    (0, OI | CI | INHERITED, READ_EXECUTE, "S-1-5-32-545"),
    (0, CI | INHERITED, 0x116, "S-1-5-32-545"),
]


def test_sids_are_read_as_windows_writes_them() -> None:
    assert parse_sid(bytes.fromhex("01020000000000052000000021020000")) == "S-1-5-32-545"
    assert parse_sid(sid_bytes(KIOSK)) == KIOSK
    with pytest.raises(ValueError):
        parse_sid(bytes.fromhex("0105000000000005"))  # says 5 sub-authorities, has none


def test_the_installers_acl_lets_in_no_one_else() -> None:
    aces = parse_acl(acl_bytes(INSTALLERS))
    assert aces == [Ace(0, OI | CI, MODIFY, KIOSK), Ace(0, OI | CI, FULL, "S-1-5-18")]
    assert others_allowed(aces, KIOSK) == []


def test_programdatas_inherited_acl_is_open_to_users_and_administrators() -> None:
    aces = parse_acl(acl_bytes(PROGRAMDATA))
    assert others_allowed(aces, KIOSK) == ["Administrators", "Users"]


def test_deny_entries_and_a_missing_acl() -> None:
    denied = parse_acl(acl_bytes([*INSTALLERS, (1, OI | CI, FULL, "S-1-1-0")]))
    assert others_allowed(denied, KIOSK) == []  # a deny entry takes rights away, never adds
    assert others_allowed(None, KIOSK) == ["Everyone"]  # a NULL DACL restricts nothing
    unknown = parse_acl(acl_bytes([(0, 0, READ_EXECUTE, "S-1-5-21-1-2-3-1500")]))
    assert others_allowed(unknown, KIOSK) == ["S-1-5-21-1-2-3-1500"]


def test_a_damaged_acl_is_refused() -> None:
    good = acl_bytes(INSTALLERS)
    with pytest.raises(ValueError):
        parse_acl(good[:20])
    with pytest.raises(ValueError):
        parse_acl(good[:8] + struct.pack("<BBH", 0, 0, 400) + good[12:])


def test_the_inspection_says_what_to_do(tmp_path: Path) -> None:
    ok = windows_files_finding(tmp_path, [])
    assert ok.status == OK
    open_to = windows_files_finding(tmp_path, ["Administrators", "Users"])
    assert open_to.status == WARNING and "Administrators, Users" in open_to.detail
    assert "/inheritance:r" in open_to.action_en and "icacls" in open_to.action_zh
    unreadable = windows_files_finding(tmp_path, [], unreadable="access denied")
    assert unreadable.status == WARNING and "access denied" in unreadable.detail
