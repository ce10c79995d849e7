"""The store key: 256 random bits, never on disk in plaintext, never logged.

It is kept in key slots (`keyslots.json` beside the store): always wrapped by the venue
administrator's recovery passphrase (scrypt + AES-256-GCM, via sync.crypto), so the store
can be restored on new hardware; and, where the operating system has a key store (Windows
Credential Manager, macOS Keychain, Secret Service), in it too, so a station restarts
unattended. A plain Linux kiosk has none; it then asks for the passphrase at start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from pathlib import Path
from typing import Any

from examkiosk.core.errors import StoreLocked
from examkiosk.store.atomic import write_atomic
from sync.credentials import WeakPassword, check_recovery_passphrase
from sync.crypto import unwrap_secret, wrap_secret
from sync.errors import FormatError, WrongPassphrase

log = logging.getLogger(__name__)

KEY_BYTES = 32
SLOTS_FORMAT = "examkiosk-keyslots"
KEYRING_SERVICE = "examkiosk-store"


def new_store_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def check_passphrase_strength(passphrase: str) -> None:
    """StoreLocked saying why, unless the new recovery passphrase is at least 12 characters
    and estimated at 2^40 guesses or more (sync.credentials: length, repeats, common words,
    keyboard runs). It guards the store on every backup, so it must resist offline guessing."""
    try:
        check_recovery_passphrase(passphrase)
    except WeakPassword as exc:
        raise StoreLocked(exc.zh, exc.en) from exc


def _os_keyring() -> Any | None:
    """The OS key store, or None where there is none worth trusting (Linux without one)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def write_slots(path: Path, key: bytes, passphrase: str, station_id: str) -> list[str]:
    """Wrap `key` into the slots file; returns the slot kinds written."""
    check_passphrase_strength(passphrase)
    slots: dict[str, Any] = {"passphrase": wrap_secret(key, passphrase)}
    ring = _os_keyring()
    if ring is not None:
        try:
            ring.set_password(KEYRING_SERVICE, station_id, key.hex())
            slots["os_keyring"] = {"service": KEYRING_SERVICE, "account": station_id}
        except Exception as exc:  # the OS store is a convenience; the passphrase slot suffices
            log.warning("OS key store refused the store key: %s", type(exc).__name__)
    document = {"format": SLOTS_FORMAT, "version": 1, "station_id": station_id, "slots": slots}
    write_atomic(path, json.dumps(document, indent=2).encode())
    return sorted(slots)


def _read_slots(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise StoreLocked(
            "找不到密钥文件 keyslots.json，无法打开本机数据。请从备份恢复该文件。",
            "keyslots.json is missing, so the station's data cannot be opened. "
            "Restore it from the backup.",
            detail=str(path),
        ) from exc
    except (OSError, ValueError) as exc:
        raise StoreLocked(
            "密钥文件 keyslots.json 已损坏。请从备份恢复该文件。",
            "keyslots.json is damaged. Restore it from the backup.",
            detail=f"{path}: {exc}",
        ) from exc
    if not isinstance(document, dict) or document.get("format") != SLOTS_FORMAT:
        raise StoreLocked(
            "keyslots.json 不是 ExamKiosk 的密钥文件。",
            "keyslots.json is not an ExamKiosk key file.",
            detail=str(path),
        )
    return document


def key_from_os(path: Path) -> bytes | None:
    """The key from the OS key store, if this station put it there; else None."""
    slot = _read_slots(path)["slots"].get("os_keyring")
    ring = _os_keyring()
    if not slot or ring is None:
        return None
    value = ring.get_password(slot["service"], slot["account"])
    return bytes.fromhex(value) if value else None


def key_from_passphrase(path: Path, passphrase: str) -> bytes:
    slot = _read_slots(path)["slots"].get("passphrase")
    if not slot:
        raise StoreLocked(
            "密钥文件中没有口令槽。", "keyslots.json has no passphrase slot.", detail=str(path)
        )
    try:
        key = unwrap_secret(slot, passphrase)
    except WrongPassphrase as exc:
        raise StoreLocked(
            "恢复口令不正确。请核对后重试（注意大小写和输入法）。",
            "The recovery passphrase is wrong. Check it and try again "
            "(mind capitals and the input method).",
        ) from exc
    if len(key) != KEY_BYTES:
        raise StoreLocked("密钥长度不正确。", "The stored key has the wrong length.")
    return key


# -- staff slots: a person's own password unwraps the store key ---------------------------
#
# So that the recovery passphrase is for recovery and provisioning only, each member of
# staff who has signed in once gets a slot of their own: the store key wrapped by their
# password (the same scrypt + AES-256-GCM as the passphrase slot). The next morning their
# sign-in alone opens the station. A slot is named by a hash of station and staff number
# (the file does not list who works here) and carries the account's password date, so a
# changed password rewraps it and a disabled account's slot is removed.


def staff_slot_name(station_id: str, staff_number: str) -> str:
    return hashlib.sha256(f"examkiosk-staff-slot|{station_id}|{staff_number}".encode()).hexdigest()[
        :32
    ]


def _staff_slots(document: dict[str, Any]) -> dict[str, Any]:
    slots = document.setdefault("slots", {}).setdefault("staff", {})
    if not isinstance(slots, dict):
        raise StoreLocked("keyslots.json 已损坏。", "keyslots.json is damaged.")
    return slots


def has_staff_slots(path: Path) -> bool:
    try:
        return bool(_read_slots(path)["slots"].get("staff"))
    except StoreLocked:
        return False


def staff_slot_stamp(path: Path, station_id: str, staff_number: str) -> str | None:
    slot = _staff_slots(_read_slots(path)).get(staff_slot_name(station_id, staff_number))
    return str(slot.get("stamp")) if isinstance(slot, dict) else None


def put_staff_slot(
    path: Path, key: bytes, station_id: str, staff_number: str, password: str, stamp: str
) -> None:
    """Add or rewrap `staff_number`'s slot (atomic rewrite of the slots file)."""
    document = _read_slots(path)
    slot = wrap_secret(key, password)
    slot["stamp"] = stamp
    _staff_slots(document)[staff_slot_name(station_id, staff_number)] = slot
    write_atomic(path, json.dumps(document, indent=2).encode())


def drop_staff_slots(path: Path, station_id: str, keep: set[str]) -> int:
    """Remove every staff slot except those of the staff numbers in `keep`."""
    document = _read_slots(path)
    slots = _staff_slots(document)
    wanted = {staff_slot_name(station_id, number) for number in keep}
    gone = [name for name in slots if name not in wanted]
    for name in gone:
        del slots[name]
    if gone:
        write_atomic(path, json.dumps(document, indent=2).encode())
    return len(gone)


def key_from_staff(path: Path, staff_number: str, password: str) -> bytes:
    """The store key from `staff_number`'s slot; StoreLocked when there is no such slot or
    the password does not unwrap it (the same message for both)."""
    document = _read_slots(path)
    station_id = str(document.get("station_id", ""))
    slot = _staff_slots(document).get(staff_slot_name(station_id, staff_number.strip()))
    wrong = StoreLocked(
        "工号或密码不正确，或此工号尚未在本机登录过（第一次请用恢复口令打开后再登录）。",
        "Wrong staff number or password, or this person has not signed in on this station "
        "before (the first time, open it with the recovery passphrase and sign in).",
    )
    if not isinstance(slot, dict):
        raise wrong
    try:
        key = unwrap_secret({k: v for k, v in slot.items() if k != "stamp"}, password)
    except (WrongPassphrase, FormatError, ValueError, KeyError, TypeError) as exc:
        raise wrong from exc
    if len(key) != KEY_BYTES:
        raise StoreLocked("密钥长度不正确。", "The stored key has the wrong length.")
    return key


def rewrite_slots_for_this_machine(
    path: Path, key: bytes, passphrase: str, station_id: str
) -> list[str]:
    """After a restore (issue 12): the passphrase slot and this machine's OS key store slot
    written afresh, the staff slots kept (each is wrapped by that person's password, which is
    the same on any machine)."""
    staff = _read_slots(path)["slots"].get("staff") or {}
    kinds = write_slots(path, key, passphrase, station_id)
    if staff:
        document = _read_slots(path)
        document["slots"]["staff"] = staff
        write_atomic(path, json.dumps(document, indent=2).encode())
        kinds.append("staff")
    return kinds
