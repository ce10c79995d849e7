"""Command/response APDUs and the one-method transport card profiles talk through.

A profile never sees pyscard: it gets a `Transport` (PC/SC in production, the same PC/SC
path in tests through pcscd + vpcd). That keeps profiles testable on real middleware and
lets secure messaging wrap a transport transparently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hardware.cards.errors import MalformedCardData


@dataclass(frozen=True)
class Response:
    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    @property
    def ok(self) -> bool:
        return self.sw == 0x9000

    @classmethod
    def from_bytes(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise MalformedCardData(f"response of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), raw[-2], raw[-1])


class Transport(Protocol):
    def transmit(self, apdu: bytes) -> Response:
        """Send one command APDU, return its response. Raises CardError on I/O trouble."""
        ...


def command(
    cla: int,
    ins: int,
    p1: int,
    p2: int,
    data: bytes = b"",
    le: int | None = None,
    *,
    extended: bool = False,
) -> bytes:
    """A command APDU: short (Lc up to 255, Le up to 256) or, with `extended`, ISO 7816-4
    extended length (Lc up to 65535, Le up to 65536). Le 256/65536 is encoded as zero."""
    if not extended and (len(data) > 255 or (le is not None and le > 256)):
        raise ValueError("short APDU data is at most 255 bytes, Le at most 256")
    if len(data) > 0xFFFF or (le is not None and not 0 <= le <= 0x10000):
        raise ValueError("APDU length out of range")
    out = bytes([cla, ins, p1, p2])
    if not extended:
        if data:
            out += bytes([len(data)]) + data
        if le is not None:
            out += bytes([le & 0xFF])
        return out
    if data:
        out += b"\x00" + len(data).to_bytes(2, "big") + data
    if le is not None:
        out += (b"" if data else b"\x00") + (le & 0xFFFF).to_bytes(2, "big")
    return out


@dataclass(frozen=True)
class Command:
    """A command APDU taken apart (short or extended length)."""

    header: bytes  # CLA INS P1 P2
    data: bytes
    le: int | None  # 1..65536, None when absent
    extended: bool


def parse_command(raw: bytes) -> Command:
    """Split a command APDU into header, data and Le (ISO 7816-4 cases 1-4, both forms)."""
    if len(raw) < 4:
        raise MalformedCardData("command APDU shorter than its header")
    header, body = bytes(raw[:4]), bytes(raw[4:])
    if not body:
        return Command(header, b"", None, False)
    if len(body) == 1:
        return Command(header, b"", body[0] or 256, False)
    if body[0] != 0 or len(body) == 2:
        lc = body[0]
        if len(body) == 1 + lc:
            return Command(header, body[1:], None, False)
        if len(body) == 2 + lc:
            return Command(header, body[1 : 1 + lc], body[-1] or 256, False)
        raise MalformedCardData("short APDU length does not match its data")
    if len(body) == 3:  # extended Le only
        return Command(header, b"", int.from_bytes(body[1:], "big") or 0x10000, True)
    lc = int.from_bytes(body[1:3], "big")
    rest = body[3:]
    if len(rest) == lc:
        return Command(header, rest, None, True)
    if len(rest) == lc + 2:
        return Command(header, rest[:lc], int.from_bytes(rest[lc:], "big") or 0x10000, True)
    raise MalformedCardData("extended APDU length does not match its data")


def select_aid(aid: bytes) -> bytes:
    return command(0x00, 0xA4, 0x04, 0x0C, aid)


def select_ef(fid: bytes) -> bytes:
    return command(0x00, 0xA4, 0x02, 0x0C, fid)


def select_path(path: bytes) -> bytes:
    """SELECT by absolute path from the MF (the Belgian eID and most plain-APDU cards)."""
    return command(0x00, 0xA4, 0x08, 0x0C, path)


def read_binary(offset: int, length: int, *, extended: bool = False) -> bytes:
    """READ BINARY (B0) at a 15-bit offset; ValueError beyond 32767 (use `read_binary_odd`)."""
    if not 0 <= offset <= 0x7FFF:
        raise ValueError("READ BINARY offset out of range")
    return command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length, extended=extended)


def read_binary_odd(offset: int, length: int, *, extended: bool = False) -> bytes:
    """READ BINARY with the odd instruction (B1): the offset travels in data object 54, so it
    reaches past 32767; the answer is the file's bytes wrapped in data object 53."""
    if not 0 <= offset <= 0xFFFFFF:
        raise ValueError("READ BINARY offset out of range")
    size = max(1, (offset.bit_length() + 7) // 8)
    offset_do = b"\x54" + bytes([size]) + offset.to_bytes(size, "big")
    return command(0x00, 0xB1, 0x00, 0x00, offset_do, le=length, extended=extended)


GET_UID = bytes([0xFF, 0xCA, 0x00, 0x00, 0x00])  # PC/SC part 3 GET DATA (UID)
GET_CHALLENGE = command(0x00, 0x84, 0x00, 0x00, le=8)
