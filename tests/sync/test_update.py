"""The update file format: only a whole file signed by the expected key is unpacked, and the
archive inside cannot write outside its folder or beyond what its signed metadata declares."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from sync.crypto import KeyPair
from sync.envelope import EnvelopeWriter
from sync.errors import FormatError, UnexpectedSigner
from sync.update import (
    OPENING_KEY,
    UPDATE_KIND,
    UpdateMeta,
    build_update,
    parse_version,
    unpack_update,
    verify_update,
)

CENTRAL = KeyPair.generate()


def _seal(tmp: Path, tar_bytes: bytes, files: int, size: int) -> Path:
    meta = UpdateMeta(
        product="examkiosk",
        version="9.0.0",
        platform="linux-amd64",
        issued_at="2026-11-25T20:00:00+08:00",
        central_key_id=CENTRAL.public().key_id,
        files=files,
        unpacked_size=size,
    )
    out = tmp / "crafted.eku"
    with open(out, "wb") as stream:
        writer = EnvelopeWriter(
            stream, UPDATE_KIND, meta.to_dict(), CENTRAL, [OPENING_KEY.public()]
        )
        writer.write(tar_bytes)
        writer.finish()
    return out


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = 0o755
    return info


def test_versions_compare_as_numbers_and_junk_is_refused() -> None:
    assert parse_version("0.10.0") > parse_version("0.9.9")
    assert parse_version("1.0") == parse_version("1.0.0.0")
    for bad in ("", "1.x", "v1.0", "1.2.3.4.5", "1..2", "1.0-rc1"):
        with pytest.raises(FormatError):
            parse_version(bad)


def test_round_trip_keeps_modes_and_links(tmp_path: Path) -> None:
    release = tmp_path / "release"
    (release / "_internal").mkdir(parents=True)
    (release / "examkiosk").write_bytes(b"#!/bin/sh\n")
    (release / "examkiosk").chmod(0o755)
    (release / "_internal" / "big.bin").write_bytes(os.urandom(3 << 20))  # several chunks
    (release / "_internal" / "big.link").symlink_to("big.bin")
    out = io.BytesIO()
    build_update(
        release,
        out,
        version="0.2.0",
        platform="linux-amd64",
        issued_at="2026-11-25T20:00:00+08:00",
        signer=CENTRAL,
    )
    path = tmp_path / "u.eku"
    path.write_bytes(out.getvalue())
    meta, info = verify_update(path, CENTRAL.public())
    assert meta.version == "0.2.0" and info.signer == CENTRAL.public()
    target = tmp_path / "unpacked"
    unpack_update(path, CENTRAL.public(), target)
    assert os.access(target / "examkiosk", os.X_OK)
    assert (target / "_internal" / "big.bin").read_bytes() == (
        release / "_internal" / "big.bin"
    ).read_bytes()
    assert os.readlink(target / "_internal" / "big.link") == "big.bin"
    with pytest.raises(UnexpectedSigner):
        unpack_update(path, KeyPair.generate().public(), tmp_path / "other")
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    "member",
    ["../escaped", "/tmp/absolute-escape", "link-out"],
)
def test_an_archive_that_reaches_outside_its_folder_is_refused(tmp_path: Path, member: str) -> None:
    if member == "link-out":
        info = tarfile.TarInfo("link-out")
        info.type = tarfile.SYMTYPE
        info.linkname = "../../etc/passwd"
        archive = _tar((_file("examkiosk"), b"x"), (info, b""))
    else:
        archive = _tar((_file("examkiosk"), b"x"), (_file(member), b"evil"))
    update = _seal(tmp_path / "", archive, files=2, size=10)
    target = tmp_path / "work" / "release"
    target.parent.mkdir()
    with pytest.raises(FormatError):
        unpack_update(update, CENTRAL.public(), target)
    assert not target.exists()
    assert not (tmp_path / "work" / "escaped").exists()
    assert not Path("/tmp/absolute-escape").exists()


def test_an_archive_larger_than_its_metadata_says_is_refused(tmp_path: Path) -> None:
    archive = _tar((_file("examkiosk"), b"x" * 5000))
    update = _seal(tmp_path, archive, files=1, size=100)
    with pytest.raises(FormatError):
        unpack_update(update, CENTRAL.public(), tmp_path / "release")
    assert not (tmp_path / "release").exists()


def test_an_exam_package_is_not_an_update(tmp_path: Path) -> None:
    out = tmp_path / "package.eku"
    with open(out, "wb") as stream:
        writer = EnvelopeWriter(stream, "package", {}, CENTRAL, [OPENING_KEY.public()])
        writer.write(b"{}")
        writer.finish()
    with pytest.raises(FormatError):
        verify_update(out, CENTRAL.public())
