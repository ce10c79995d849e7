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
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None
) -> bytes:
    """A short-length command APDU (Lc/Le up to 255/256)."""
    if len(data) > 255:
        raise ValueError("short APDU data is at most 255 bytes")
    out = bytes([cla, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le & 0xFF])
    return out


def select_aid(aid: bytes) -> bytes:
    return command(0x00, 0xA4, 0x04, 0x0C, aid)


def select_ef(fid: bytes) -> bytes:
    return command(0x00, 0xA4, 0x02, 0x0C, fid)


def select_path(path: bytes) -> bytes:
    """SELECT by absolute path from the MF (the Belgian eID and most plain-APDU cards)."""
    return command(0x00, 0xA4, 0x08, 0x0C, path)


def read_binary(offset: int, length: int) -> bytes:
    if not 0 <= offset <= 0x7FFF:
        raise ValueError("READ BINARY offset out of range")
    return command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length)


GET_UID = bytes([0xFF, 0xCA, 0x00, 0x00, 0x00])  # PC/SC part 3 GET DATA (UID)
GET_CHALLENGE = command(0x00, 0x84, 0x00, 0x00, le=8)
