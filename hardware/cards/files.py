"""Reading a whole transparent EF of any size (up to `MAX_FILE`) from an ISO 7816 chip.

The file's TLV header says how long it is: its first 4 bytes are read, then as many more as
a long-form length field needs (a DG2 over 64 KB has a 5-byte header). The rest comes in
chunks: READ BINARY (B0) while the offset fits its 15 bits (up to 32767), READ BINARY with
the odd instruction (B1, offset in data object 54, answer in data object 53) beyond that.
With `extended=True` (the reader and chip both carry extended-length APDUs, see
`hardware.cards.emrtd.probe_extended`) each chunk is `EXTENDED_CHUNK` bytes instead of 223.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.cards import apdu, tlv
from hardware.cards.apdu import Response, Transport
from hardware.cards.errors import MalformedCardData

MAX_FILE = 1024 * 1024  # no LDS file is near 1 MB; a larger claim is malformed, never read
SHORT_CHUNK = 0xDF  # largest plaintext that fits a short secure-messaging response
# Within the ~2 KB I/O buffer extended-length chips commonly declare in EF.ATR/INFO.
EXTENDED_CHUNK = 0x700
_B0_MAX_OFFSET = 0x7FFF
_OK = (0x9000, 0x6282)  # 6282: end of file reached before Le bytes (data still valid)


@dataclass
class ReaderCaps:
    """What one reader was found to carry; kept by the reader object across cards."""

    extended: bool | None = None  # extended-length APDUs; None = not probed yet


def read_file(transport: Transport, fid: bytes, *, extended: bool = False) -> bytes | None:
    """The whole EF `fid` (a TLV object) under the selected application, or None if the
    chip has no such file. MalformedCardData when the chip's answers do not add up."""
    sel = transport.transmit(apdu.select_ef(fid))
    if sel.sw in (0x6A82, 0x6A88):
        return None
    if not sel.ok:
        raise MalformedCardData(f"SELECT {fid.hex()} failed: {sel.sw:04X}")
    head = _read_at(transport, fid, 0, 4, extended=False)
    if len(head) < 2:
        raise MalformedCardData(f"file {fid.hex()} answers {len(head)} bytes")
    need = tlv.header_size(head)
    while len(head) < need:
        head += _read_at(transport, fid, len(head), need - len(head), extended=False)
    total = tlv.expected_total_length(head)
    if total > MAX_FILE:
        raise MalformedCardData(f"file {fid.hex()} claims {total} bytes")
    data = bytearray(head[:total])
    chunk = EXTENDED_CHUNK if extended else SHORT_CHUNK
    while len(data) < total:
        data.extend(_read_at(transport, fid, len(data), min(chunk, total - len(data)), extended))
    return bytes(data[:total])


def _read_at(transport: Transport, fid: bytes, offset: int, want: int, extended: bool) -> bytes:
    """Up to `want` bytes at `offset` (at least one); B0 or B1 by offset."""
    if offset <= _B0_MAX_OFFSET:
        part = transport.transmit(apdu.read_binary(offset, want, extended=extended))
        _check(part, fid, offset)
        return part.data[:want]
    # B1: Le covers the 53 wrapper too; keep the whole answer within the chunk size
    body = want if extended else min(want, SHORT_CHUNK - 4)
    le = body + 1 + len(tlv.encode_length(body))
    part = transport.transmit(apdu.read_binary_odd(offset, le, extended=extended))
    _check(part, fid, offset)
    wrapper, end = tlv.parse_one(part.data)
    if wrapper.tag != 0x53 or end != len(part.data) or not wrapper.value:
        raise MalformedCardData(f"READ BINARY (B1) {fid.hex()} @{offset}: no data object 53")
    return wrapper.value[:want]


def _check(part: Response, fid: bytes, offset: int) -> None:
    if part.sw not in _OK or not part.data:
        raise MalformedCardData(f"READ BINARY {fid.hex()} @{offset}: {part.sw:04X}")
