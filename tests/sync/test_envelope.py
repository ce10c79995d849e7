"""The envelope: any change to a file is refused, and nothing is released before it is checked."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import pytest

from sync.crypto import KeyPair
from sync.envelope import (
    MAGIC,
    SIGNATURE_SIZE,
    EnvelopeWriter,
    inspect,
    open_,
    read_header,
    seal,
    seal_to,
)
from sync.errors import BadSignature, FormatError, NotARecipient, UnexpectedSigner
from sync.events import canonical_json

SIGNER = KeyPair.generate()
ALICE = KeyPair.generate()
BOB = KeyPair.generate()
MALLORY = KeyPair.generate()


def _layout(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """(end of header, [(start, end) of each chunk frame]) of a well-formed envelope."""
    (header_len,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    position = len(MAGIC) + 4 + header_len
    region_end = len(data) - SIGNATURE_SIZE
    header_end, frames = position, []
    while position < region_end:
        (length,) = struct.unpack(">I", data[position : position + 4])
        frames.append((position, position + 4 + length))
        position += 4 + length
    return header_end, frames


def _resign(body: bytes, signer: KeyPair = SIGNER) -> bytes:
    """What a signer who alters a file would produce: a valid signature over new bytes."""
    return body + signer.signature(b"EKENV1 signature\x00" + hashlib.sha256(body).digest())


def _sealed(plaintext: bytes, chunk_size: int = 64) -> bytes:
    return seal(
        "test",
        {"note": "no secrets here"},
        plaintext,
        SIGNER,
        [ALICE.public()],
        chunk_size=chunk_size,
    )


@pytest.mark.parametrize("length", [0, 1, 63, 64, 65, 128, 129, 1000])
def test_plaintext_of_any_length_comes_back_exactly(length: int) -> None:
    plaintext = bytes(i % 251 for i in range(length))
    data = _sealed(plaintext)
    assert open_(data, recipient=ALICE, expected_signer=SIGNER.public()) == plaintext


def test_every_recipient_can_open_and_nobody_else() -> None:
    data = seal("test", {}, b"roster and paper", SIGNER, [ALICE.public(), BOB.public()])
    assert open_(data, recipient=ALICE) == b"roster and paper"
    assert open_(data, recipient=BOB) == b"roster and paper"
    with pytest.raises(NotARecipient) as caught:
        open_(data, recipient=MALLORY)
    assert caught.value.zh and caught.value.en


def test_a_file_from_another_signer_is_refused_when_the_signer_is_expected() -> None:
    data = seal("test", {}, b"x", MALLORY, [ALICE.public()])
    assert open_(data, recipient=ALICE) == b"x"  # authentic, but from Mallory
    with pytest.raises(UnexpectedSigner) as caught:
        open_(data, recipient=ALICE, expected_signer=SIGNER.public())
    assert caught.value.signer_key_id == MALLORY.public().key_id


def test_the_header_is_readable_without_keys_and_holds_no_plaintext() -> None:
    data = _sealed(b"secret answers of candidate 42")
    header = read_header(data)
    assert header["kind"] == "test"
    assert header["metadata"] == {"note": "no secrets here"}
    assert header["alg"] == {
        "sig": "Ed25519",
        "kex": "X25519",
        "kdf": "HKDF-SHA256",
        "aead": "AES-256-GCM",
    }
    assert header["signer"]["key_id"] == SIGNER.public().key_id
    assert [r["key_id"] for r in header["recipients"]] == [ALICE.public().key_id]
    assert b"secret answers" not in data


def test_any_flipped_byte_anywhere_is_detected_without_keys_and_with_them() -> None:
    data = _sealed(b"A" * 300)
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x40
        with pytest.raises(FormatError):
            read_header(bytes(damaged))
        with pytest.raises(FormatError):
            open_(bytes(damaged), recipient=ALICE)


def test_every_truncation_and_any_appended_byte_is_detected() -> None:
    data = _sealed(b"B" * 300)
    for length in range(len(data)):
        with pytest.raises(FormatError):
            open_(data[:length], recipient=ALICE)
    with pytest.raises(FormatError):
        open_(data + b"\x00", recipient=ALICE)


def test_reordered_chunks_fail_even_when_the_signer_resigns() -> None:
    data = _sealed(bytes(range(200)))
    header_end, frames = _layout(data)
    assert len(frames) == 4
    (a0, a1), (b0, b1) = frames[0], frames[1]
    swapped = data[:a0] + data[b0:b1] + data[a0:a1] + data[b1:-SIGNATURE_SIZE]
    with pytest.raises(FormatError) as caught:
        open_(_resign(swapped), recipient=ALICE)
    assert "chunk" in caught.value.detail


def test_dropping_the_final_chunk_fails_even_when_the_signer_resigns() -> None:
    data = _sealed(bytes(range(200)))
    _, frames = _layout(data)
    cut = data[: frames[-1][0]]  # three full chunks, none marked final
    with pytest.raises(FormatError):
        open_(_resign(cut), recipient=ALICE)


def test_a_header_moved_onto_other_chunks_fails_even_when_resigned() -> None:
    first, second = _sealed(b"C" * 100), _sealed(b"D" * 100)
    end_first, _ = _layout(first)
    end_second, _ = _layout(second)
    chimera = first[:end_first] + second[end_second:-SIGNATURE_SIZE]
    with pytest.raises(FormatError):
        open_(_resign(chimera), recipient=ALICE)


def _with_header(data: bytes, change: dict[str, object]) -> bytes:
    (header_len,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    header = read_header(data)
    header.update(change)
    raw = canonical_json(header)
    rest = data[len(MAGIC) + 4 + header_len : -SIGNATURE_SIZE]
    return _resign(MAGIC + struct.pack(">I", len(raw)) + raw + rest)


def test_an_unknown_algorithm_is_refused_with_a_message_to_update() -> None:
    sm = {"sig": "SM2", "kex": "SM2", "kdf": "SM3-KDF", "aead": "SM4-GCM"}
    with pytest.raises(FormatError) as caught:
        read_header(_with_header(_sealed(b"x"), {"alg": sm}))
    assert "algorithms" in caught.value.en and "密码算法" in caught.value.zh


def test_a_newer_format_version_is_refused_with_a_message_to_update() -> None:
    with pytest.raises(FormatError) as caught:
        read_header(_with_header(_sealed(b"x"), {"version": 2}))
    assert "newer version" in caught.value.en


def test_a_wrong_signature_is_reported_as_such() -> None:
    data = _sealed(b"x")
    with pytest.raises(BadSignature):
        read_header(data[:-1] + bytes([data[-1] ^ 1]))


def test_streamed_writes_match_one_write_and_files_work_as_sources(tmp_path: Path) -> None:
    pieces = [b"a" * 10, b"", b"b" * 200, b"c" * 64, b"d"]
    path = tmp_path / "x.env"
    with open(path, "wb") as out:
        writer = EnvelopeWriter(out, "test", {}, SIGNER, [ALICE.public()], chunk_size=64)
        for piece in pieces:
            writer.write(piece)
        result = writer.finish()
    data = path.read_bytes()
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert open_(path, recipient=ALICE) == b"".join(pieces)
    with open(path, "rb") as stream:
        info = inspect(stream)
    assert info.sha256 == result.sha256 and info.chunk_count == 5
    buffer = io.BytesIO()
    seal_to(buffer, "test", {}, iter(pieces), SIGNER, [ALICE.public()], chunk_size=64)
    assert open_(buffer.getvalue(), recipient=ALICE) == b"".join(pieces)


def test_writer_refuses_caller_errors() -> None:
    with pytest.raises(ValueError):
        seal("test", {}, b"x", SIGNER, [])
    with pytest.raises(ValueError):
        seal("test", {}, b"x", SIGNER, [ALICE.public()], chunk_size=1)
