"""Offline program updates (.eku): a release of the station program, signed by the centre.

An update is an envelope of kind "update" (sync/envelope.py). Its header metadata, readable
without keys, is an `UpdateMeta`; its plaintext is a gzip'd tar of the release folder (the
PyInstaller one-folder build). The program is not secret, so the envelope is encrypted to a
published "opening" key that every station holds (`OPENING_KEY`): what protects a station is
the centre's signature over the whole file, checked before a byte of the content is used.

Reading is bounded: the header by the envelope, the archive by member count, total size and
the tar "data" filter (no absolute paths, no `..`, no links leaving the folder, no devices).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from sync.crypto import KeyPair, PublicKeys
from sync.envelope import EnvelopeInfo, EnvelopeWriter, SealResult, inspect, open_into
from sync.errors import FormatError, SyncError

UPDATE_KIND = "update"
UPDATE_EXTENSION = ".eku"
PRODUCT = "examkiosk"
MAX_MEMBERS = 200_000
MAX_UNPACKED_SIZE = 8 << 30
_VERSION = re.compile(r"^\d{1,6}(\.\d{1,6}){0,3}$")

# Public by design (see the module docstring): derived from a fixed label, so any station,
# also one never registered at the centre, can open an update.
OPENING_KEY = KeyPair.from_bytes(hashlib.sha512(b"ExamKiosk update opening key v1").digest())


class UpdateRefused(SyncError):
    """A whole, authentic update that this station must not install (wrong product, older)."""


def parse_version(text: str) -> tuple[int, ...]:
    """'1.2.3' -> (1, 2, 3); FormatError for anything but 1 to 4 dot-separated numbers."""
    if not isinstance(text, str) or not _VERSION.match(text):
        raise FormatError(detail=f"version {str(text)[:30]!r} is not N[.N[.N[.N]]]")
    parts = tuple(int(p) for p in text.split("."))
    return parts + (0,) * (4 - len(parts))


@dataclass(frozen=True)
class UpdateMeta:
    """What an update says about itself in the clear."""

    product: str
    version: str
    platform: str  # "linux-amd64" | "windows-amd64"
    issued_at: str
    central_key_id: str
    files: int
    unpacked_size: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UpdateMeta:
        """Parse untrusted metadata; FormatError on a missing or mistyped field."""
        strings = ("product", "version", "platform", "issued_at", "central_key_id")
        for name in strings:
            if not isinstance(data.get(name), str) or len(data[name]) > 200:
                raise FormatError(detail=f"update metadata field {name} missing or not a string")
        for name in ("files", "unpacked_size"):
            value = data.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise FormatError(detail=f"update metadata field {name} is not a count")
        meta = cls(**{name: data[name] for name in (*strings, "files", "unpacked_size")})
        parse_version(meta.version)
        if meta.files > MAX_MEMBERS or meta.unpacked_size > MAX_UNPACKED_SIZE:
            raise FormatError(detail=f"update of {meta.files} files, {meta.unpacked_size} bytes")
        return meta


class _ToEnvelope:
    """A write-only file object for tarfile's stream mode."""

    def __init__(self, writer: EnvelopeWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> int:
        self._writer.write(data)
        return len(data)


def build_update(
    release: Path,
    out: BinaryIO,
    *,
    version: str,
    platform: str,
    issued_at: str,
    signer: KeyPair,
) -> SealResult:
    """Seal the release folder `release` as an update signed by `signer` (the centre)."""
    parse_version(version)
    if not ((release / PRODUCT).is_file() or (release / f"{PRODUCT}.exe").is_file()):
        raise FormatError(detail=f"{release} holds no {PRODUCT} program")
    paths = sorted(release.rglob("*"))
    size = sum(p.lstat().st_size for p in paths if p.is_file() and not p.is_symlink())
    meta = UpdateMeta(
        product=PRODUCT,
        version=version,
        platform=platform,
        issued_at=issued_at,
        central_key_id=signer.public().key_id,
        files=len(paths),
        unpacked_size=size,
    )
    meta = UpdateMeta.from_dict(meta.to_dict())  # the same bounds a station will apply
    writer = EnvelopeWriter(out, UPDATE_KIND, meta.to_dict(), signer, [OPENING_KEY.public()])
    with tarfile.open(fileobj=_ToEnvelope(writer), mode="w|gz", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for path in paths:
            tar.add(path, arcname=path.relative_to(release).as_posix(), recursive=False)
    return writer.finish()


def verify_update(source: Path, central: PublicKeys) -> tuple[UpdateMeta, EnvelopeInfo]:
    """Check a whole update file without unpacking it: signed by `central`, of kind update,
    metadata well formed. Raises UnexpectedSigner, BadSignature or another FormatError."""
    info = inspect(source, expected_signer=central)
    if info.kind != UPDATE_KIND:
        raise FormatError(detail=f"an envelope of kind {info.kind!r}, not an update")
    meta = UpdateMeta.from_dict(info.metadata)
    if meta.product != PRODUCT:
        raise UpdateRefused(
            "该文件不是本程序的更新。",
            "This file is not an update of this program.",
            detail=f"product {meta.product!r}",
        )
    return meta, info


def unpack_update(source: Path, central: PublicKeys, target: Path) -> UpdateMeta:
    """Verify `source`, then unpack its release folder into `target` (which must not exist).

    Nothing is written to `target` unless the whole file is authentic; on any error `target`
    does not exist afterwards.
    """
    meta, _info = verify_update(source, central)
    if target.exists():
        raise FileExistsError(target)
    with tempfile.TemporaryFile(dir=target.parent) as plain:
        open_into(source, plain, recipient=OPENING_KEY, expected_signer=central)
        plain.seek(0)
        target.mkdir()
        try:
            _extract(plain, target, meta)
        except BaseException:
            _remove_tree(target)
            raise
    return meta


def _extract(plain: BinaryIO, target: Path, meta: UpdateMeta) -> None:
    try:
        with tarfile.open(fileobj=plain, mode="r:gz") as tar:
            members, total = [], 0
            for member in tar:
                # Refused, not repaired: the "data" filter below would also strip a leading
                # "/", but an archive that names one was not made by build_update.
                parts = PurePosixPath(member.name).parts
                if member.name.startswith("/") or "\\" in member.name or ".." in parts:
                    raise FormatError(detail=f"update archive member {member.name[:80]!r}")
                members.append(member)
                total += member.size
                if len(members) > meta.files or total > meta.unpacked_size:
                    raise FormatError(detail="update archive larger than its metadata says")
            for member in members:
                tar.extract(member, target, filter="data")
    except (tarfile.TarError, EOFError, zlib.error) as exc:  # FilterError is a TarError
        raise FormatError(detail=f"update archive: {exc}") from None


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
