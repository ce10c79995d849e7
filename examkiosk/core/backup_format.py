"""The station backup file (.ekbak): one POSIX tar, written atomically, read with bounds.

Members, in this order (docs/formats.md, "Station backup"):
  manifest.json        format, version, station, when, store facts, and per file size+sha256
  station.db           the SQLCipher store, still encrypted with the station's key
  keyslots.json        that key wrapped by the recovery passphrase (never in plaintext)
  settings/NAME.json   the station's settings files (devices.json ...), when present

Nothing else is accepted when reading: no links, no directories, no other names, bounded
sizes, so a damaged or hostile file cannot write outside the restore folder or fill a disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from examkiosk.core.errors import KioskError
from examkiosk.store.atomic import fsync_dir
from sync.portable_files import replace_file, set_file_mode

FORMAT = "examkiosk-backup"
VERSION = 1
SUFFIX = ".ekbak"
MANIFEST = "manifest.json"
STORE = "station.db"
KEYSLOTS = "keyslots.json"
SETTINGS_FILES = ("devices.json", "station.json")
MAX_SMALL = 1 << 20  # manifest, keyslots, a settings file
MAX_STORE = 64 << 30
MAX_MEMBERS = 2 + 1 + len(SETTINGS_FILES)
CHUNK = 1 << 20


class BadBackup(KioskError):
    """The backup file is damaged, incomplete or not an ExamKiosk backup."""


def bad(zh: str, en: str, detail: str = "") -> BadBackup:
    return BadBackup(
        f"备份文件不可用：{zh}。请换用另一份备份。",
        f"The backup file cannot be used: {en}. Use another backup.",
        detail=detail,
    )


def allowed_names() -> set[str]:
    return {MANIFEST, STORE, KEYSLOTS} | {f"settings/{n}" for n in SETTINGS_FILES}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_backup(target: Path, manifest: Mapping[str, Any], files: Mapping[str, Path]) -> str:
    """Write the tar to `target` atomically (temp file, fsync, rename); returns its sha256.

    `files` maps member names to source files; the manifest lists each with size and sha256.
    """
    listed = {
        name: {"size": path.stat().st_size, "sha256": sha256_file(path)}
        for name, path in files.items()
    }
    document = {**manifest, "format": FORMAT, "version": VERSION, "files": listed}
    manifest_bytes = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        set_file_mode(fd, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                _add_bytes(tar, MANIFEST, manifest_bytes)
                for name, path in files.items():
                    info = tarfile.TarInfo(name)
                    info.size = path.stat().st_size
                    info.mode = 0o600
                    info.mtime = int(path.stat().st_mtime)
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
            raw.flush()
            os.fsync(raw.fileno())
        replace_file(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return sha256_file(target)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


@dataclass(frozen=True)
class OpenedBackup:
    """A backup whose manifest was read and every member checked against it."""

    path: Path
    manifest: dict[str, Any]
    sha256: str
    size_bytes: int

    @property
    def station_id(self) -> str:
        return str(self.manifest.get("station_id", ""))


def _copy_bounded(src: IO[bytes], dst: IO[bytes] | None, limit: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    total = 0
    while chunk := src.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise bad("文件过大", "a member is larger than allowed")
        digest.update(chunk)
        if dst is not None:
            dst.write(chunk)
    return total, digest.hexdigest()


def read_backup(path: Path, extract_to: Path | None = None) -> OpenedBackup:
    """Check the whole file against its manifest; with `extract_to`, also write its members
    there (settings under settings/). Raises BadBackup; extracts nothing useful on failure
    (the caller removes `extract_to`)."""
    try:
        size = path.stat().st_size
        whole = sha256_file(path)
        with tarfile.open(path, mode="r:") as tar:
            return _read_members(path, tar, extract_to, whole, size)
    except BadBackup:
        raise
    except (OSError, tarfile.TarError, ValueError, UnicodeDecodeError) as exc:
        raise bad("无法读取", "it cannot be read", detail=f"{path}: {exc}") from exc


def _read_members(
    path: Path, tar: tarfile.TarFile, extract_to: Path | None, whole: str, size: int
) -> OpenedBackup:
    manifest: dict[str, Any] | None = None
    seen: dict[str, tuple[int, str]] = {}
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise bad("内容过多", "it holds more members than a backup has")
        if not member.isfile() or member.name not in allowed_names() or member.name in seen:
            raise bad("含有不应有的内容", "it holds an unexpected member", detail=member.name)
        if count == 1 and member.name != MANIFEST:
            raise bad("缺少清单", "its manifest is missing")
        handle = tar.extractfile(member)
        if handle is None:
            raise bad("无法读取", "a member cannot be read", detail=member.name)
        limit = MAX_STORE if member.name == STORE else MAX_SMALL
        if member.name == MANIFEST:
            data = handle.read(MAX_SMALL + 1)
            if len(data) > MAX_SMALL:
                raise bad("清单过大", "its manifest is too large")
            manifest = _parse_manifest(data)
            continue
        assert manifest is not None
        if extract_to is None:
            seen[member.name] = _copy_bounded(handle, None, limit)
        else:
            out = extract_to / member.name
            out.parent.mkdir(parents=True, exist_ok=True)
            # O_BINARY: without it Windows opens the file in text mode and rewrites \n bytes.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(out, flags, 0o600)
            with os.fdopen(fd, "wb") as dst:
                seen[member.name] = _copy_bounded(handle, dst, limit)
                dst.flush()
                os.fsync(dst.fileno())
    if manifest is None:
        raise bad("缺少清单", "its manifest is missing")
    listed = manifest["files"]
    if set(listed) != set(seen) or STORE not in seen or KEYSLOTS not in seen:
        raise bad(
            "不完整", "it is incomplete", detail=f"listed {sorted(listed)}, found {sorted(seen)}"
        )
    for name, (got_size, got_sha) in seen.items():
        entry = listed[name]
        if entry.get("size") != got_size or entry.get("sha256") != got_sha:
            raise bad(
                "内容与清单不符（已损坏）",
                "a member does not match its manifest (damaged)",
                detail=name,
            )
    return OpenedBackup(path=path, manifest=manifest, sha256=whole, size_bytes=size)


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise bad("清单已损坏", "its manifest is damaged") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise bad("不是 ExamKiosk 备份", "it is not an ExamKiosk backup")
    if document.get("version") != VERSION:
        raise bad(
            "版本不受支持，请使用更新的程序",
            "its version is not supported by this program; use a newer one",
            detail=str(document.get("version")),
        )
    files = document.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(v, dict) and k in allowed_names() for k, v in files.items()
    ):
        raise bad("清单已损坏", "its manifest is damaged")
    return document
