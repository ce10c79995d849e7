"""BER-TLV / DER parsing and encoding for card data (ICAO 9303 LDS, CMS, ISO 7816).

The parser is strict: any length that runs past the buffer, a truncated tag, an indefinite
length or nesting deeper than `MAX_DEPTH` raises `MalformedCardData`. It never reads out of
bounds, never loops forever and never allocates more than the input size, so it is safe on
bytes straight from a card (the fuzz tests hold it to that).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hardware.cards.errors import MalformedCardData

MAX_DEPTH = 32


@dataclass(frozen=True)
class Tlv:
    tag: int  # the tag bytes as one big-endian integer, e.g. 0x5F1F, 0x7F61
    value: bytes
    raw: bytes  # the whole encoding (tag + length + value), e.g. for signed attributes

    @property
    def constructed(self) -> bool:
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    def children(self) -> list[Tlv]:
        """The value parsed as a sequence of TLVs (for constructed tags)."""
        return parse_all(self.value)

    def find(self, tag: int) -> Tlv:
        """The first direct child with `tag`; MalformedCardData if missing."""
        for child in self.children():
            if child.tag == tag:
                return child
        raise MalformedCardData(f"tag {tag:X} missing inside {self.tag:X}")


def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise MalformedCardData("tag runs past end of data")
    first = data[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:  # multi-byte tag: continuation bytes have bit 8 set
        for _ in range(3):
            if pos >= len(data):
                raise MalformedCardData("multi-byte tag truncated")
            b = data[pos]
            tag = (tag << 8) | b
            pos += 1
            if not b & 0x80:
                return tag, pos
        raise MalformedCardData("tag longer than 4 bytes")
    return tag, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise MalformedCardData("length runs past end of data")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0:
        raise MalformedCardData("indefinite length is not allowed")
    if count > 4:
        raise MalformedCardData(f"length field of {count} bytes")
    if pos + count > len(data):
        raise MalformedCardData("length field truncated")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def parse_one(data: bytes, pos: int = 0) -> tuple[Tlv, int]:
    """Parse the TLV at `pos`; returns it and the position after it."""
    start = pos
    tag, pos = _read_tag(data, pos)
    length, pos = _read_length(data, pos)
    end = pos + length
    if end > len(data):
        raise MalformedCardData(
            f"tag {tag:X} claims {length} bytes but only {len(data) - pos} remain"
        )
    return Tlv(tag, bytes(data[pos:end]), bytes(data[start:end])), end


def parse_all(data: bytes) -> list[Tlv]:
    """Every TLV in `data`, back to back; trailing bytes that are not a TLV are an error."""
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        item, pos = parse_one(data, pos)
        out.append(item)
    return out


def walk(data: bytes, depth: int = 0) -> Iterator[Tlv]:
    """Every TLV, depth first, descending into constructed values (bounded depth)."""
    if depth > MAX_DEPTH:
        raise MalformedCardData("TLV nesting too deep")
    for item in parse_all(data):
        yield item
        if item.constructed:
            yield from walk(item.value, depth + 1)


def header_size(head: bytes) -> int:
    """How many bytes the tag and length fields take of the TLV that `head` starts.

    `head` must hold the tag and the length field's first byte; a long-form length may run
    past `head` (the answer then says how many bytes to read). MalformedCardData if the
    header itself is malformed (indefinite or over-long length, truncated tag).
    """
    _, pos = _read_tag(head, 0)
    if pos >= len(head):
        raise MalformedCardData("length runs past end of data")
    first = head[pos]
    if first < 0x80:
        return pos + 1
    count = first & 0x7F
    if count == 0:
        raise MalformedCardData("indefinite length is not allowed")
    if count > 4:
        raise MalformedCardData(f"length field of {count} bytes")
    return pos + 1 + count


def expected_total_length(head: bytes) -> int:
    """Total size of a TLV object from its first bytes (at least tag + length field)."""
    _, pos = _read_tag(head, 0)
    length, pos = _read_length(head, pos)
    return pos + length


# -- DER helpers ---------------------------------------------------------------------------


def der_int(value: bytes) -> int:
    if not value:
        raise MalformedCardData("empty INTEGER")
    return int.from_bytes(value, "big", signed=True)


def der_oid(value: bytes) -> str:
    if not value or value[-1] & 0x80:
        raise MalformedCardData("malformed OBJECT IDENTIFIER")
    parts: list[int] = []
    acc = 0
    for b in value:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(acc)
            acc = 0
    first = parts[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(p) for p in head + parts[1:])


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    """One TLV (tag given as its big-endian integer, e.g. 0x5F1F)."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + encode_length(len(value)) + value


def encode_oid(dotted: str) -> bytes:
    nums = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        body.extend(reversed(chunk))
    return encode(0x06, bytes(body))


def encode_int(value: int) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)
    return encode(0x02, value.to_bytes(length, "big", signed=True))


def seq(*items: bytes) -> bytes:
    return encode(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return encode(0x31, b"".join(sorted(items)))
