"""The signed, encrypted container that exam packages and USB bundles are two kinds of.

Layout (all integers big-endian; docs/formats.md has every field):

    b"EKENV1\\n" | u32 header length | header (canonical JSON)
    chunk 0 .. chunk k:  u32 length | AES-256-GCM ciphertext of up to chunk_size bytes (+16 tag)
    64-byte Ed25519 signature

Every chunk but the last holds exactly `chunk_size` plaintext bytes. Chunk i is sealed with
nonce = nonce_prefix (8 random bytes per file) + u32 i and AAD = SHA-256(magic..header) + u32 i
+ u8 final, so a reordered, dropped, repeated or appended chunk fails its tag, and a file cut
at a chunk boundary lacks the final flag. The signature covers everything before it (the signer
signs "EKENV1 signature\\0" + SHA-256 of those bytes, which lets a writer stream), so
`read_header` can tell without any private key whether a file is whole and who signed it.

Readers never release plaintext before every chunk and the signature have been verified.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sync.crypto import KeyPair, PublicKeys, unwrap_key, wrap_key
from sync.errors import BadSignature, FormatError, NotARecipient, UnexpectedSigner
from sync.events import canonical_json

MAGIC = b"EKENV1\n"
FORMAT = "EKENV"
VERSION = 1
ALGORITHMS = {"sig": "Ed25519", "kex": "X25519", "kdf": "HKDF-SHA256", "aead": "AES-256-GCM"}
DEFAULT_CHUNK_SIZE = 1 << 20
MIN_CHUNK_SIZE = 64
MAX_CHUNK_SIZE = 16 << 20
MAX_HEADER_SIZE = 4 << 20
MAX_RECIPIENTS = 10_000
TAG_SIZE = 16
SIGNATURE_SIZE = 64
_LEN = struct.Struct(">I")
_SIG_DOMAIN = b"EKENV1 signature\x00"
_WRAP_INFO = b"EKENV1 content key wrap\x00"

Source = bytes | bytearray | memoryview | BinaryIO | os.PathLike[str]


@dataclass(frozen=True)
class EnvelopeInfo:
    """What a reader learns from a whole file without any private key."""

    header: dict[str, Any]
    kind: str
    metadata: dict[str, Any]
    signer: PublicKeys
    recipient_ids: tuple[str, ...]
    chunk_size: int
    chunk_count: int
    size: int
    sha256: str  # of the whole file, signature included


@dataclass(frozen=True)
class SealResult:
    size: int
    sha256: str
    header: dict[str, Any]


def _aad(header_hash: bytes, index: int, final: bool) -> bytes:
    return header_hash + _LEN.pack(index) + (b"\x01" if final else b"\x00")


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + _LEN.pack(index)


class EnvelopeWriter:
    """Streams one envelope into a binary file: `write()` plaintext, then `finish()`.

    Memory stays at about one chunk whatever the total size. The caller owns the file and
    handles its OSErrors; after an error the output is garbage and must be discarded.
    """

    def __init__(
        self,
        out: BinaryIO,
        kind: str,
        metadata: Mapping[str, Any],
        signer: KeyPair,
        recipients: Sequence[PublicKeys],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        if not kind or len(kind) > 64:
            raise ValueError("kind must be a short non-empty string")
        if not recipients or len(recipients) > MAX_RECIPIENTS:
            raise ValueError("an envelope needs between 1 and 10000 recipients")
        if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size {chunk_size} out of range")
        content_key = AESGCM.generate_key(bit_length=256)
        context = _WRAP_INFO + kind.encode("utf-8")
        self._prefix = os.urandom(8)
        self.header: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "kind": kind,
            "alg": dict(ALGORITHMS),
            "signer": signer.public().to_dict(),
            "recipients": [wrap_key(content_key, r, context) for r in recipients],
            "chunk_size": chunk_size,
            "nonce_prefix": self._prefix.hex(),
            "metadata": dict(metadata),
        }
        header_bytes = canonical_json(self.header)
        if len(header_bytes) > MAX_HEADER_SIZE:
            raise ValueError("envelope header too large")
        lead = MAGIC + _LEN.pack(len(header_bytes)) + header_bytes
        self._header_hash = hashlib.sha256(lead).digest()
        self._hash = hashlib.sha256(lead)
        self._out = out
        self._signer = signer
        self._aead = AESGCM(content_key)
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._size = len(lead)
        self._finished = False
        out.write(lead)

    def _emit(self, plain: bytes | bytearray | memoryview, final: bool) -> None:
        if self._index >= 2**32:
            raise ValueError("envelope too large")
        ciphertext = self._aead.encrypt(
            _nonce(self._prefix, self._index),
            bytes(plain),
            _aad(self._header_hash, self._index, final),
        )
        frame = _LEN.pack(len(ciphertext))
        self._hash.update(frame)
        self._hash.update(ciphertext)
        self._out.write(frame)
        self._out.write(ciphertext)
        self._size += len(frame) + len(ciphertext)
        self._index += 1

    def write(self, data: bytes | bytearray | memoryview) -> None:
        # A chunk is only emitted once more data is known to follow, so the one left in the
        # buffer at finish() is the final one, whatever the total length.
        if self._finished:
            raise ValueError("envelope already finished")
        view = memoryview(data).cast("B")
        size = self._chunk_size
        if self._buffer:
            need = size - len(self._buffer)
            if len(view) <= need:
                self._buffer += view
                return
            self._buffer += view[:need]
            view = view[need:]
            self._emit(self._buffer, final=False)
            self._buffer = bytearray()
        while len(view) > size:
            self._emit(view[:size], final=False)
            view = view[size:]
        self._buffer += view

    def finish(self) -> SealResult:
        """Write the final chunk and the signature; returns size and SHA-256 of the file."""
        if self._finished:
            raise ValueError("envelope already finished")
        self._emit(self._buffer, final=True)
        self._buffer = bytearray()
        signature = self._signer.signature(_SIG_DOMAIN + self._hash.digest())
        self._out.write(signature)
        self._hash.update(signature)
        self._size += len(signature)
        self._finished = True
        return SealResult(self._size, self._hash.hexdigest(), self.header)


def seal_to(
    out: BinaryIO,
    kind: str,
    metadata: Mapping[str, Any],
    plaintext: bytes | Iterable[bytes],
    signer: KeyPair,
    recipients: Sequence[PublicKeys],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> SealResult:
    """Write one envelope of `plaintext` (bytes or an iterable of byte pieces) to `out`."""
    writer = EnvelopeWriter(out, kind, metadata, signer, recipients, chunk_size=chunk_size)
    pieces = [plaintext] if isinstance(plaintext, bytes | bytearray | memoryview) else plaintext
    for piece in pieces:
        writer.write(piece)
    return writer.finish()


def seal(
    kind: str,
    metadata: Mapping[str, Any],
    plaintext: bytes | Iterable[bytes],
    signer: KeyPair,
    recipients: Sequence[PublicKeys],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> bytes:
    """The envelope as bytes; see `seal_to` to write a file."""
    out = io.BytesIO()
    seal_to(out, kind, metadata, plaintext, signer, recipients, chunk_size=chunk_size)
    return out.getvalue()


# --- reading -------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # "1e400" parses to inf, which canonical JSON cannot encode
        raise ValueError(f"number {text[:20]} out of range")
    return value


def inflate_bounded(data: bytes | memoryview, limit: int, what: str) -> bytes:
    """zlib-decompress untrusted `data` into at most `limit` bytes; FormatError for a bomb,
    damage or trailing bytes (no unbounded allocation on hostile input)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise FormatError(detail=f"{what} does not decompress: {exc}") from None
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise FormatError(detail=f"{what} too large or has trailing bytes")
    return out


def loads_strict(
    raw: bytes | bytearray | memoryview, what: str = "data", *, check: bool = True
) -> Any:
    """JSON from untrusted bytes whose result canonical_json can always re-encode.

    Refuses non-finite numbers and, with `check`, strings that are not valid Unicode (lone
    surrogates) with FormatError, so hashing or storing the result cannot fail later.
    Without `check` the caller must re-encode the value itself (as hashing does).
    """
    try:
        value = json.loads(bytes(raw), parse_constant=_reject_constant, parse_float=_finite_float)
        if check:
            canonical_json(value)
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise FormatError(detail=f"{what} is not valid JSON: {str(exc)[:80]}") from None
    return value


def _read_exact(stream: BinaryIO, count: int, what: str) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise FormatError(detail=f"file ends inside the {what}")
    return data


def _parse_header(raw: bytes) -> dict[str, Any]:
    header = loads_strict(raw, "header")
    if not isinstance(header, dict):
        raise FormatError(detail="header is not an object")
    if canonical_json(header) != raw:
        raise FormatError(detail="header is not in canonical form")
    if header.get("format") != FORMAT:
        raise FormatError(detail="not an ExamKiosk envelope")
    if header.get("version") != VERSION:
        raise FormatError(
            "该文件由更新版本的软件生成，本机无法读取。请升级本机软件后再试。",
            "This file was made by a newer version of the software. Update this station's "
            "software and try again.",
            detail=f"envelope version {header.get('version')!r}",
        )
    if header.get("alg") != ALGORITHMS:
        raise FormatError(
            "该文件使用了本机不支持的密码算法。请升级本机软件，或向考试中心索取标准格式的文件。",
            "This file uses cryptographic algorithms this station does not support. Update "
            "the software or ask the exam centre for a file in the standard format.",
            detail=f"algorithms {header.get('alg')!r}",
        )
    kind, metadata = header.get("kind"), header.get("metadata")
    if not isinstance(kind, str) or not isinstance(metadata, dict):
        raise FormatError(detail="kind or metadata missing")
    chunk_size = header.get("chunk_size")
    if (
        not isinstance(chunk_size, int)
        or isinstance(chunk_size, bool)
        or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE
    ):
        raise FormatError(detail=f"chunk size {chunk_size!r} out of range")
    prefix = header.get("nonce_prefix")
    try:
        if not isinstance(prefix, str) or len(bytes.fromhex(prefix)) != 8:
            raise ValueError(prefix)
    except ValueError:
        raise FormatError(detail="nonce prefix malformed") from None
    recipients = header.get("recipients")
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise FormatError(detail="recipients missing")
    for entry in recipients:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("key_id", "epk", "wrapped")
        ):
            raise FormatError(detail="recipient entry malformed")
    return header


def _open_source(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source if isinstance(source, bytes) else bytes(source)), True
    if isinstance(source, os.PathLike):
        return open(Path(source), "rb"), True  # the caller closes it (owned=True)
    return source, False


def _walk(
    stream: BinaryIO,
    on_chunk: Callable[[dict[str, Any], bytes, int, bool], None] | None,
    before_chunks: Callable[[dict[str, Any], PublicKeys], None] | None = None,
) -> EnvelopeInfo:
    """Parse and authenticate the whole file; `on_chunk(header, ciphertext, index, final)`."""
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    stream.seek(start)
    lead = _read_exact(stream, len(MAGIC) + _LEN.size, "file signature")
    if lead[: len(MAGIC)] != MAGIC:
        raise FormatError(detail="magic bytes missing: not an ExamKiosk file")
    (header_len,) = _LEN.unpack(lead[len(MAGIC) :])
    region_end = size - SIGNATURE_SIZE
    if header_len > MAX_HEADER_SIZE or len(lead) + header_len > region_end:
        raise FormatError(detail=f"header length {header_len} does not fit the file")
    raw_header = _read_exact(stream, header_len, "header")
    header = _parse_header(raw_header)
    signer = PublicKeys.from_dict(header.get("signer"))  # type: ignore[arg-type]
    if before_chunks is not None:
        before_chunks(header, signer)
    digest = hashlib.sha256(lead)
    digest.update(raw_header)
    chunk_size: int = header["chunk_size"]
    position, index, final = len(lead) + header_len, 0, False
    while not final:
        frame = _read_exact(stream, _LEN.size, "chunk length")
        (length,) = _LEN.unpack(frame)
        end = position + _LEN.size + length
        if not TAG_SIZE <= length <= chunk_size + TAG_SIZE or end > region_end:
            raise FormatError(detail=f"chunk {index} length {length} invalid or file truncated")
        final = end == region_end
        if not final and length != chunk_size + TAG_SIZE:
            raise FormatError(detail=f"chunk {index} is short but not the last one")
        ciphertext = _read_exact(stream, length, f"chunk {index}")
        digest.update(frame)
        digest.update(ciphertext)
        if on_chunk is not None:
            on_chunk(header, ciphertext, index, final)
        position, index = end, index + 1
    signature = _read_exact(stream, SIGNATURE_SIZE, "signature")
    if not signer.verify(signature, _SIG_DOMAIN + digest.digest()):
        raise BadSignature(detail=f"signature by {signer.key_id} does not verify")
    digest.update(signature)
    return EnvelopeInfo(
        header=header,
        kind=header["kind"],
        metadata=header["metadata"],
        signer=signer,
        recipient_ids=tuple(r["key_id"] for r in header["recipients"]),
        chunk_size=chunk_size,
        chunk_count=index,
        size=size,
        sha256=digest.hexdigest(),
    )


def _check_signer(signer: PublicKeys, expected: PublicKeys | None) -> None:
    if expected is not None and signer != expected:
        raise UnexpectedSigner(signer_key_id=signer.key_id)


def inspect(source: Source, *, expected_signer: PublicKeys | None = None) -> EnvelopeInfo:
    """Verify a whole envelope without private keys (streams; constant memory).

    Raises FormatError (BadSignature, UnexpectedSigner when `expected_signer` differs).
    """
    stream, owned = _open_source(source)
    try:
        return _walk(stream, None, lambda _h, signer: _check_signer(signer, expected_signer))
    finally:
        if owned:
            stream.close()


def read_header(source: Source, *, expected_signer: PublicKeys | None = None) -> dict[str, Any]:
    """The header of a whole, correctly signed envelope (no private key needed)."""
    return inspect(source, expected_signer=expected_signer).header


def _content_key(header: dict[str, Any], recipient: KeyPair) -> bytes:
    key_id = recipient.public().key_id
    entry = next((r for r in header["recipients"] if r["key_id"] == key_id), None)
    if entry is None:
        raise NotARecipient(detail=f"key {key_id} not among the recipients")
    return unwrap_key(entry, recipient, _WRAP_INFO + header["kind"].encode("utf-8"))


def open_envelope(
    source: Source, *, recipient: KeyPair, expected_signer: PublicKeys | None = None
) -> tuple[EnvelopeInfo, bytes]:
    """Authenticate and decrypt a whole envelope in one pass; nothing partial is returned.

    Raises UnexpectedSigner, NotARecipient, BadSignature or another FormatError.
    """
    buffer = io.BytesIO()
    info = open_into(source, buffer, recipient=recipient, expected_signer=expected_signer)
    return info, buffer.getvalue()


def open_(
    source: Source, *, recipient: KeyPair, expected_signer: PublicKeys | None = None
) -> bytes:
    """The plaintext of a whole, authentic envelope encrypted to `recipient`."""
    return open_envelope(source, recipient=recipient, expected_signer=expected_signer)[1]


def open_into(
    source: Source, out: BinaryIO, *, recipient: KeyPair, expected_signer: PublicKeys | None = None
) -> EnvelopeInfo:
    """Authenticate and decrypt a whole envelope into `out`, one chunk in memory at a time.

    For contents too large to hold in memory (program updates). `out` receives plaintext
    before the signature at the end has been checked: on any exception its bytes are
    unauthenticated and the caller must discard them; only a normal return vouches for them.
    Raises like `open_envelope`.
    """
    state: dict[str, Any] = {}

    def before_chunks(header: dict[str, Any], signer: PublicKeys) -> None:
        _check_signer(signer, expected_signer)
        raw_lead = canonical_json(header)
        lead = MAGIC + _LEN.pack(len(raw_lead)) + raw_lead
        state["aead"] = AESGCM(_content_key(header, recipient))
        state["prefix"] = bytes.fromhex(header["nonce_prefix"])
        state["header_hash"] = hashlib.sha256(lead).digest()

    def on_chunk(header: dict[str, Any], ciphertext: bytes, index: int, final: bool) -> None:
        try:
            out.write(
                state["aead"].decrypt(
                    _nonce(state["prefix"], index),
                    ciphertext,
                    _aad(state["header_hash"], index, final),
                )
            )
        except InvalidTag:
            raise FormatError(detail=f"chunk {index} failed authentication") from None

    stream, owned = _open_source(source)
    try:
        return _walk(stream, on_chunk, before_chunks)
    finally:
        if owned:
            stream.close()
