"""Plain-APDU national ID cards: select by path, READ BINARY, a TLV identity file, a JPEG.

A country's card is one `PlainApduProfile` value: how to recognise it (ATR patterns), which
files to read, and a function turning those files into an `IdentityDocument`. The Belgian
eID (`hardware.cards.eid_be.BELGIUM`) is the model; docs/cards.md walks through adding
another country. Nothing here is country specific.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hardware.cards import apdu
from hardware.cards.apdu import Transport
from hardware.cards.document import IdentityDocument
from hardware.cards.errors import MalformedCardData

MAX_FILE = 64 * 1024
CHUNK = 0xF0


@dataclass(frozen=True)
class AtrPattern:
    """ATR match: (atr & mask) == (value & mask); mask defaults to all ones."""

    value: bytes
    mask: bytes = b""

    def matches(self, atr: bytes) -> bool:
        mask = self.mask or b"\xff" * len(self.value)
        if len(atr) != len(self.value):
            return False
        return all((a & m) == (v & m) for a, v, m in zip(atr, self.value, mask, strict=True))


# files: file name -> absolute path (MF first), e.g. {"identity": 3F00DF014031}
Parser = Callable[[Mapping[str, bytes], "str | None"], IdentityDocument]


@dataclass(frozen=True)
class PlainApduProfile:
    name: str
    atr_patterns: tuple[AtrPattern, ...]
    files: Mapping[str, bytes]  # required files: name -> absolute path
    parse: Parser  # (files read, card UID or None) -> document; MalformedCardData if bad
    optional_files: Mapping[str, bytes] = field(default_factory=dict)

    def matches(self, atr: bytes) -> bool:
        return any(p.matches(atr) for p in self.atr_patterns)


def read_by_path(transport: Transport, path: bytes) -> bytes | None:
    """A whole transparent EF selected by absolute path; None if the card has no such file."""
    sel = transport.transmit(apdu.select_path(path))
    if sel.sw in (0x6A82, 0x6A86, 0x6A88):
        return None
    if not sel.ok:
        raise MalformedCardData(f"SELECT path {path.hex()} failed: {sel.sw:04X}")
    data = bytearray()
    while len(data) < MAX_FILE:
        part = transport.transmit(apdu.read_binary(len(data), CHUNK))
        if part.sw1 == 0x6C:  # wrong Le: the card tells the bytes left
            part = transport.transmit(apdu.read_binary(len(data), part.sw2))
        if part.sw in (0x6B00, 0x6282) and not part.data:
            break
        if not part.ok and part.sw != 0x6282:
            raise MalformedCardData(f"READ BINARY {path.hex()} @{len(data)}: {part.sw:04X}")
        data.extend(part.data)
        if len(part.data) < CHUNK:
            break
    else:
        raise MalformedCardData(f"file {path.hex()} larger than {MAX_FILE} bytes")
    return bytes(data)


def read_document(
    transport: Transport, profile: PlainApduProfile, card_uid: str | None = None
) -> IdentityDocument:
    files: dict[str, bytes] = {}
    for name, path in profile.files.items():
        content = read_by_path(transport, path)
        if content is None:
            raise MalformedCardData(f"{profile.name}: required file {name} missing")
        files[name] = content
    for name, path in profile.optional_files.items():
        content = read_by_path(transport, path)
        if content is not None:
            files[name] = content
    return profile.parse(files, card_uid)


def parse_simple_tlv(data: bytes) -> dict[int, bytes]:
    """Tag (1 byte) + length (7 bits per byte, bit 8 = more follows) + value, as on the
    Belgian eID and several other plain-APDU cards. Trailing zero padding ends the file."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        if not any(data[pos:]):
            break
        tag = data[pos]
        pos += 1
        length = 0
        for _ in range(4):
            if pos >= len(data):
                raise MalformedCardData("TLV length runs past end of file")
            b = data[pos]
            pos += 1
            length = (length << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        else:
            raise MalformedCardData("TLV length field longer than 4 bytes")
        if pos + length > len(data):
            raise MalformedCardData(f"tag {tag:02X} claims {length} bytes, {len(data) - pos} left")
        out[tag] = data[pos : pos + length]
        pos += length
    return out


def encode_simple_tlv(items: Mapping[int, bytes]) -> bytes:
    """Inverse of `parse_simple_tlv` (used by the card emulator and tests)."""
    out = bytearray()
    for tag, value in items.items():
        n = len(value)
        groups = [n & 0x7F]
        n >>= 7
        while n:
            groups.append(0x80 | (n & 0x7F))
            n >>= 7
        out.append(tag)
        out.extend(reversed(groups))
        out.extend(value)
    return bytes(out)
