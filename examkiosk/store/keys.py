"""The store key: 256 random bits, never on disk in plaintext, never logged.

It is kept in key slots (`keyslots.json` beside the store): always wrapped by the venue
administrator's recovery passphrase (scrypt + AES-256-GCM, via sync.crypto), so the store
can be restored on new hardware; and, where the operating system has a key store (Windows
Credential Manager, macOS Keychain, Secret Service), in it too, so a station restarts
unattended. A plain Linux kiosk has none; it then asks for the passphrase at start.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any

from examkiosk.core.errors import StoreLocked
from examkiosk.store.atomic import write_atomic
from sync.credentials import WeakPassword, check_recovery_passphrase
from sync.crypto import unwrap_secret, wrap_secret
from sync.errors import WrongPassphrase

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
